import { NON_USER_ROUTES } from '../../app/observability/routes.js';
import type { PrometheusClient, Sample } from './prometheus.js';

/**
 * What the analysis compares: per version (the image tag the API puts in the `version` label
 * of its HTTP metrics), the user requests served, the 5xx among them and their p99 latency in
 * one window of time, as Prometheus computes them from the API's own metrics.
 *
 * User requests only: the kubelet's probes, Prometheus's scrapes and the page's static files
 * carry the version label too, and would make an idle canary look busy (a pod's probes and
 * scrapes clear a minimum of 20 requests a minute) and a failing one look healthy
 * (app/observability/routes.ts says which routes are which).
 *
 * One window per check, (start, end]: each check's window begins where the previous one ended
 * (the first at the moment the step's weight took effect), so two checks never count the same
 * sample, and nothing from an earlier step or an earlier attempt of the same tag is counted.
 */
export type VersionNumbers = {
  requests: number;
  errors: number;
  /** errors / requests; null without requests. */
  errorRatio: number | null;
  /** p99 latency in milliseconds; null without requests (Prometheus answers NaN), Infinity beyond the last bucket. */
  p99Ms: number | null;
};

/** A span of time in Unix milliseconds; samples with start < timestamp <= end belong to it. */
export type Window = { startMs: number; endMs: number };

export type VersionQueries = { requests: string; errors: string; p99: string };

/** The route label values left out of the analysis. */
export const EXCLUDED_ROUTES = NON_USER_ROUTES;

/** Label matchers of the user requests of one namespace's versions. */
export function userRequestMatchers(namespace: string): string {
  return [`namespace="${namespace}"`, 'version!=""', ...EXCLUDED_ROUTES.map((route) => `route!="${route}"`)].join(',');
}

/**
 * The range of a window as PromQL: `[Dms] @ end`. Prometheus 2 includes both ends of a range
 * ([end - D, end]); with D one millisecond short of the window, and timestamps in whole
 * milliseconds, that is exactly (start, end]: a sample on a boundary belongs to the earlier
 * window only. (Prometheus 3 leaves the start out, which then skips a sample exactly one
 * millisecond after the boundary: never counted twice either way.)
 */
export function windowRange(window: Window): string {
  const start = Math.round(window.startMs);
  const end = Math.round(window.endMs);
  if (end - start < 2) throw new Error(`window ${start}..${end} is too short to query`);
  return `[${end - start - 1}ms] @ ${(end / 1000).toFixed(3)}`;
}

/**
 * The three PromQL expressions, grouped by version. Errors are counted separately rather than
 * divided in PromQL: a version without a single 5xx has no error series at all, and a ratio
 * query would then return nothing for it, which would read as "no data".
 */
export function versionQueries(namespace: string, window: Window): VersionQueries {
  const selector = userRequestMatchers(namespace);
  const range = windowRange(window);
  return {
    requests: `sum by (version) (increase(http_requests_total{${selector}}${range}))`,
    errors: `sum by (version) (increase(http_requests_total{${selector},status=~"5.."}${range}))`,
    p99: `histogram_quantile(0.99, sum by (version, le) (increase(http_request_duration_seconds_bucket{${selector}}${range})))`,
  };
}

export async function readVersionNumbers(
  prometheus: PrometheusClient,
  input: { namespace: string; window: Window; versions: string[] },
): Promise<Record<string, VersionNumbers>> {
  const queries = versionQueries(input.namespace, input.window);
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
        errorRatio: served > 0 ? Math.min(failed / served, 1) : null,
        p99Ms: served > 0 && quantile !== undefined && !Number.isNaN(quantile) ? quantile * 1000 : null,
      };
      return [version, numbers];
    }),
  );
}

/**
 * Before anything is applied: Prometheus answers the analysis's query, and it scrapes the
 * namespace (any series of the API's request counter in the last 5 minutes, probes included:
 * the stable pods are probed whether or not users come). Returns what is wrong, or undefined.
 */
export async function checkPrometheusScrapes(prometheus: PrometheusClient, namespace: string, nowMs: number): Promise<string | undefined> {
  await prometheus.query(versionQueries(namespace, { startMs: nowMs - 60_000, endMs: nowMs }).requests);
  const scraped = await prometheus.query(`count(last_over_time(http_requests_total{namespace="${namespace}"}[5m]))`);
  if (scraped.length === 0 || !(scraped[0]!.value > 0)) {
    return `it has no http_requests_total series of namespace ${namespace} in the last 5 minutes: it does not scrape the API there, so the canary could not be judged`;
  }
  return undefined;
}

const finiteOr = (value: number | undefined, fallback: number) => (value !== undefined && Number.isFinite(value) ? value : fallback);
