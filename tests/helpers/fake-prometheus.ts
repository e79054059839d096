import { createServer, type Server } from 'node:http';
import { NON_USER_ROUTES } from '../../app/observability/routes.js';

/**
 * A local HTTP server on 127.0.0.1 answering GET /api/v1/query the way Prometheus does
 * (tests/fixtures/prometheus/query-responses.json holds real answers; the contract test in
 * tests/canary/fake-prometheus.test.ts compares their shape), for the three queries of the
 * canary analysis: requests, 5xx and p99 by `version` in one namespace. Tests script the
 * numbers per version; a version without numbers has no series (an empty result), a version
 * without requests has a NaN p99, as a real Prometheus answers. Anything else is refused with
 * the real 400 bad_data answer, so a changed query shows up as a failure, never as a guess.
 * Each query must carry the user-requests matchers and a window `[Dms] @ T`; `windows` records them.
 * It also answers the pre-flight check (are there series of the namespace at all?).
 */
export type ScriptedVersion = { requests: number; errors: number; p99Seconds: number };

export type FakePrometheus = {
  url: string;
  /** Every PromQL expression received, in order. */
  queries: string[];
  /** The window of every analysis query received: (endMs - rangeMs - 1, endMs]. */
  windows: { startMs: number; endMs: number }[];
  /** Sets (or, with undefined, removes) the numbers of a version in `namespace`. */
  set(namespace: string, version: string, numbers: ScriptedVersion | undefined): void;
  stop(): Promise<void>;
};

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const USER = `namespace="([^"]+)",version!="",${NON_USER_ROUTES.map((r) => `route!="${escape(r)}"`).join(',')}`;
const RANGE = String.raw`\[(\d+)ms\] @ (\d+\.\d{3})`;
const REQUESTS = new RegExp(`^sum by \\(version\\) \\(increase\\(http_requests_total\\{${USER}\\}${RANGE}\\)\\)$`);
const ERRORS = new RegExp(`^sum by \\(version\\) \\(increase\\(http_requests_total\\{${USER},status=~"5\\.\\."\\}${RANGE}\\)\\)$`);
const P99 = new RegExp(
  `^histogram_quantile\\(0\\.99, sum by \\(version, le\\) \\(increase\\(http_request_duration_seconds_bucket\\{${USER}\\}${RANGE}\\)\\)\\)$`,
);
const SCRAPED = /^count\(last_over_time\(http_requests_total\{namespace="([^"]+)"\}\[5m\]\)\)$/;

export async function startFakePrometheus(): Promise<FakePrometheus> {
  const series = new Map<string, Map<string, ScriptedVersion>>();
  const queries: string[] = [];
  const windows: { startMs: number; endMs: number }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/api/v1/query') return send(404, { status: 'error', errorType: 'not_found', error: 'not found' });
    const expr = url.searchParams.get('query') ?? '';
    queries.push(expr);
    const time = Date.now() / 1000;
    const vector = (namespace: string, value: (v: ScriptedVersion) => number | null) =>
      send(200, {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [...(series.get(namespace) ?? new Map<string, ScriptedVersion>())].flatMap(([version, numbers]) => {
            const v = value(numbers);
            return v === null ? [] : [{ metric: { version }, value: [time, Number.isNaN(v) ? 'NaN' : String(v)] }];
          }),
        },
      });
    let match: RegExpExecArray | null;
    if ((match = SCRAPED.exec(expr))) {
      const count = series.get(match[1]!)?.size ?? 0;
      return send(200, {
        status: 'success',
        data: { resultType: 'vector', result: count ? [{ metric: {}, value: [time, String(count)] }] : [] },
      });
    }
    const window = REQUESTS.exec(expr) ?? ERRORS.exec(expr) ?? P99.exec(expr);
    if (window) {
      const endMs = Math.round(Number(window[3]) * 1000);
      windows.push({ startMs: endMs - Number(window[2]) - 1, endMs });
    }
    if ((match = REQUESTS.exec(expr))) return vector(match[1]!, (v) => v.requests);
    // No 5xx at all: no series, as with a real counter that was never incremented for that status.
    if ((match = ERRORS.exec(expr))) return vector(match[1]!, (v) => (v.errors > 0 ? v.errors : null));
    if ((match = P99.exec(expr))) return vector(match[1]!, (v) => (v.requests > 0 ? v.p99Seconds : NaN));
    return send(400, {
      status: 'error',
      errorType: 'bad_data',
      error: `invalid parameter "query": fake prometheus does not know: ${expr}`,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake prometheus: no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    queries,
    windows,
    set(namespace, version, numbers) {
      const versions = series.get(namespace) ?? new Map<string, ScriptedVersion>();
      if (numbers) versions.set(version, numbers);
      else versions.delete(version);
      series.set(namespace, versions);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
