import type { PrometheusClient, Sample } from './prometheus.js';

/**
 * What the analysis compares: per version (the image tag the API puts in the `version` label
 * of its HTTP metrics), the requests served, the 5xx among them and the p99 latency over the
 * last `windowSeconds`, as Prometheus computes them from the API's own metrics.
 */
export type VersionNumbers = {
  requests: number;
  errors: number;
  /** errors / requests; null without requests. */
  errorRatio: number | null;
  /** p99 latency in milliseconds; null without requests (Prometheus answers NaN), Infinity beyond the last bucket. */
  p99Ms: number | null;
};

export type VersionQueries = { requests: string; errors: string; p99: string };

/**
 * The three PromQL expressions, grouped by version. Errors are counted separately rather than
 * divided in PromQL: a version without a single 5xx has no error series at all, and a ratio
 * query would then return nothing for it, which would read as "no data".
 */
export function versionQueries(namespace: string, windowSeconds: number): VersionQueries {
  const selector = `namespace="${namespace}",version!=""`;
  const window = `[${windowSeconds}s]`;
  return {
    requests: `sum by (version) (increase(http_requests_total{${selector}}${window}))`,
    errors: `sum by (version) (increase(http_requests_total{${selector},status=~"5.."}${window}))`,
    p99: `histogram_quantile(0.99, sum by (version, le) (rate(http_request_duration_seconds_bucket{${selector}}${window})))`,
  };
}

export async function readVersionNumbers(
  prometheus: PrometheusClient,
  input: { namespace: string; windowSeconds: number; versions: string[] },
): Promise<Record<string, VersionNumbers>> {
  const queries = versionQueries(input.namespace, input.windowSeconds);
  const [requests, errors, p99] = await Promise.all([
    prometheus.query(queries.requests),
    prometheus.query(queries.errors),
    prometheus.query(queries.p99),
  ]);
  const of = (samples: Sample[], version: string) => samples.find((s) => s.labels.version === version)?.value;
  return Object.fromEntries(
    input.versions.map((version) => {
      const served = finiteOr(of(requests, version), 0);
      const failed = finiteOr(of(errors, version), 0);
      const quantile = of(p99, version);
      const numbers: VersionNumbers = {
        requests: served,
        errors: failed,
        errorRatio: served > 0 ? failed / served : null,
        p99Ms: served > 0 && quantile !== undefined && !Number.isNaN(quantile) ? quantile * 1000 : null,
      };
      return [version, numbers];
    }),
  );
}

const finiteOr = (value: number | undefined, fallback: number) => (value !== undefined && Number.isFinite(value) ? value : fallback);
