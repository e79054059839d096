import { readFileSync, writeFileSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../app/db/migrate.js';
import { analyseStep, formatDecision, type Decision, type Thresholds } from '../../bin/canary/analysis.js';
import { startCanaryLoad, type CanaryLoad } from '../../bin/canary/load.js';
import { PrometheusClient } from '../../bin/canary/prometheus.js';
import {
  checkPrometheusScrapes,
  readVersionNumbers,
  userRequestMatchers,
  versionQueries,
  windowRange,
  type Window,
} from '../../bin/canary/version-metrics.js';
import { FakeOpenAI } from '../app/fake-openai.js';
import { startPrometheus, type PrometheusServer } from '../monitoring/prometheus-server.js';
import { freePort } from '../helpers/ports.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { repoPath } from '../helpers/quotes-fixture.js';

/**
 * The canary analysis against a real Prometheus (Debian's package, scraping every second)
 * scraping real API processes (app/main.ts serve, as the container runs it), each probed on
 * /healthz and /readyz the way the kubelet does, with user traffic from qctl's own load
 * generator (the --canary-load engine). Five processes share one database:
 *   1.0.0 stable, under load            3.0.0 no database: every data route answers 503
 *   2.0.0 idle: probes and scrapes only 4.0.0 slow: searches wait 700 ms for embeddings
 *   5.0.0 healthy
 * The analysis reads them through the same client and queries `qctl up --canary` uses.
 * No assertion depends on timing: the verdicts follow from what the processes do.
 *
 * QCTL_RECORD_PROMETHEUS=1 also records the real answers the fake Prometheus
 * (tests/helpers/fake-prometheus.ts) is checked against, into tests/fixtures/prometheus/.
 */
const NS = 'quotes-canary';
const THRESHOLDS: Thresholds = { maxErrorRatio: 0.01, maxP99Ms: 500, maxP99Ratio: null, minRequests: 20 };
/** Checks every 4 s (four scrapes), two passing per step, abort after 16 s without data. */
const POLICY = { intervalMs: 4000, graceMs: 16_000, checks: 2 };
/** Requests per second to the canary under test (40 a window, 20 needed) and to the stable version. */
const RATE = 10;
const STABLE_RATE = 5;
/**
 * The p99 limit a healthy canary is held to: the most the histogram can tell (10 s). The
 * machine running this suite may be loaded far beyond its cores, and a verdict must not depend
 * on that; the slow canary is told apart by what it does (every uncached search waits 700 ms).
 */
const HEALTHY_P99_LIMIT_MS = 10_000;

type Api = { version: string; url: string; child: ResultPromise; probes: NodeJS.Timeout };

let db: TestPostgres;
let openai: FakeOpenAI;
let prometheus: PrometheusServer;
let client: PrometheusClient;
const apis = new Map<string, Api>();
const loads: CanaryLoad[] = [];

async function startApi(version: string, env: Record<string, string>): Promise<Api> {
  const port = await freePort();
  const child = execa('node', ['--import', 'tsx', repoPath('app/main.ts'), 'serve'], {
    cwd: repoPath(),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      APP_VERSION: version,
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      ...env,
    },
    extendEnv: false,
    reject: false,
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`API ${version} exited: ${String((await child).stderr)}`);
    const up = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 600) throw new Error(`API ${version} did not answer /healthz`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The kubelet's probes: liveness and readiness, several times a second (more often than a kubelet, to make the point).
  const probes = setInterval(() => {
    for (const path of ['/healthz', '/readyz'])
      void fetch(`${url}${path}`).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
  }, 250);
  return { version, url, child, probes };
}

beforeAll(async () => {
  [db, openai] = await Promise.all([startTestPostgres(), new FakeOpenAI().start()]);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
  await pool.end();
  openai.delayMs = 700;
  const closedPort = await freePort();
  const started = await Promise.all([
    startApi('1.0.0', {}),
    startApi('2.0.0', {}),
    startApi('3.0.0', { DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${closedPort}/postgres` }),
    startApi('4.0.0', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url, CACHE_TTL_SECONDS: '1' }),
    startApi('5.0.0', {}),
  ]);
  for (const api of started) apis.set(api.version, api);
  prometheus = await startPrometheus({
    config: {
      global: { scrape_interval: '1s', scrape_timeout: '900ms' },
      scrape_configs: [
        {
          job_name: 'quote-api',
          static_configs: started.map((api) => ({
            targets: [new URL(api.url).host],
            labels: { namespace: NS, pod: `quote-api-${api.version}` },
          })),
        },
      ],
    },
  });
  client = new PrometheusClient(prometheus.url);
  // The stable version serves users the whole time.
  loads.push(await startCanaryLoad(new URL(apis.get('1.0.0')!.url), STABLE_RATE));
  // Wait until Prometheus has scraped every process at least twice.
  for (let i = 0; ; i++) {
    const up = await prometheus.query(`count(count_over_time(up{namespace="${NS}"}[1m]) >= 2)`);
    if (Number(up.data?.result?.[0]?.value?.[1] ?? 0) >= started.length) break;
    if (i > 300) throw new Error(`Prometheus did not scrape the APIs:\n${prometheus.logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 180_000);

afterAll(async () => {
  await Promise.all(loads.map((l) => l.stop()));
  for (const api of apis.values()) {
    clearInterval(api.probes);
    api.child.kill('SIGTERM');
  }
  await Promise.all([...apis.values()].map((a) => a.child));
  await prometheus?.stop();
  await openai?.stop();
  await db?.stop();
}, 60_000);

/** One step of the analysis of `canary` against the stable 1.0.0, from now, as `qctl up --canary` runs it. */
async function analyse(canary: string, options: { step?: number; steps?: number; thresholds?: Partial<Thresholds> } = {}) {
  const decisions: Decision[] = [];
  const passed = await analyseStep({
    step: options.step ?? 1,
    steps: options.steps ?? 1,
    weight: 20,
    startedMs: Date.now(),
    thresholds: { ...THRESHOLDS, ...options.thresholds },
    policy: POLICY,
    measure: async (window) => {
      const numbers = await readVersionNumbers(client, { namespace: NS, window, versions: ['1.0.0', canary] });
      return { canary: numbers[canary]!, stable: numbers['1.0.0']! };
    },
    onDecision: (d) => decisions.push(d),
  });
  return { passed, decisions };
}

/** Runs `fn` while qctl's load generator sends RATE requests/s to `version`. */
async function withLoad<T>(version: string, fn: () => Promise<T>): Promise<T> {
  const load = await startCanaryLoad(new URL(apis.get(version)!.url), RATE);
  try {
    return await fn();
  } finally {
    await load.stop();
  }
}

const windowOf = (d: Decision): Window => ({ startMs: Date.parse(d.window.start), endMs: Date.parse(d.window.end) });

/** The raw samples of every user-request series in a window, as `series@timestamp` keys. */
async function samplesIn(window: Window): Promise<string[]> {
  const answer = await prometheus.get(
    `/api/v1/query?query=${encodeURIComponent(`http_requests_total{${userRequestMatchers(NS)}}${windowRange(window)}`)}`,
  );
  expect(answer.status).toBe('success');
  const series = (answer.data?.result ?? []) as unknown as { metric: Record<string, string>; values: [number, string][] }[];
  return series.flatMap((s) => s.values.map(([t]) => `${JSON.stringify(s.metric)}@${Math.round(t * 1000)}`));
}

describe('canary analysis against a real Prometheus scraping real API processes', () => {
  it('Prometheus answers the pre-flight check for the namespace, and names a namespace it does not scrape', async () => {
    expect(await checkPrometheusScrapes(client, NS, Date.now())).toBeUndefined();
    expect(await checkPrometheusScrapes(client, 'quotes-elsewhere', Date.now())).toMatch(
      /no http_requests_total series of namespace quotes-elsewhere in the last 5 minutes/,
    );
  });

  it('never promotes an idle canary: its probes and scrapes are not user requests', async () => {
    const { passed, decisions } = await analyse('2.0.0');
    expect(passed).toBe(false);
    expect(decisions.every((d) => d.outcome === 'wait')).toBe(true);
    expect(decisions.at(-1)!.action).toBe('abort');
    expect(decisions.map((d) => d.numbers!.canary.requests)).toEqual(decisions.map(() => 0));
    // The canary did answer probes and scrapes in those windows: many more than --min-requests.
    const whole: Window = { startMs: windowOf(decisions[0]!).startMs, endMs: windowOf(decisions.at(-1)!).endMs };
    const all = await client.query(`sum(increase(http_requests_total{namespace="${NS}",version="2.0.0"}${windowRange(whole)}))`);
    expect(all[0]!.value).toBeGreaterThan(THRESHOLDS.minRequests);
  }, 60_000);

  it('reads a canary answering every user request with 5xx as 100% errors, and aborts', async () => {
    const { passed, decisions } = await withLoad('3.0.0', () => analyse('3.0.0'));
    expect(passed).toBe(false);
    const failed = decisions.at(-1)!;
    expect(failed.outcome).toBe('fail');
    expect(failed.numbers!.canary.errorRatio).toBeCloseTo(1, 9);
    expect(failed.reason).toBe('canary error ratio 100.00% is above 1.00%');
    expect(formatDecision(failed)).toMatch(/user requests [\d:.]+-[\d:.]+ UTC \([\d.]+s\): fail -> abort: canary error ratio 100\.00%/);
  }, 60_000);

  it('aborts a slow canary on p99', async () => {
    const { passed, decisions } = await withLoad('4.0.0', () => analyse('4.0.0'));
    expect(passed).toBe(false);
    const failed = decisions.at(-1)!;
    expect(failed.outcome).toBe('fail');
    expect(failed.numbers!.canary.errorRatio).toBe(0);
    expect(failed.reason).toMatch(/^canary p99 \d+ms is above 500ms$/);
    // More than 1% of its requests are searches that waited 700 ms: p99 lies in the bucket above 500 ms, or beyond.
    expect(failed.numbers!.canary.p99Ms).toBeGreaterThan(500);
  }, 60_000);

  it('promotes a healthy canary step by step, and no two checks share a sample', async () => {
    const decisions = await withLoad('5.0.0', async () => {
      const first = await analyse('5.0.0', { step: 1, steps: 2, thresholds: { maxP99Ms: HEALTHY_P99_LIMIT_MS } });
      expect(first.passed, first.decisions.map(formatDecision).join('\n')).toBe(true);
      const last = await analyse('5.0.0', { step: 2, steps: 2, thresholds: { maxP99Ms: HEALTHY_P99_LIMIT_MS } });
      expect(last.passed, last.decisions.map(formatDecision).join('\n')).toBe(true);
      return [...first.decisions, ...last.decisions];
    });
    expect(decisions.at(-1)!.action).toBe('promote');
    const passing = decisions.filter((d) => d.outcome === 'pass');
    expect(passing.length).toBeGreaterThanOrEqual(4);
    for (const d of passing) expect(d.numbers!.canary.requests).toBeGreaterThanOrEqual(THRESHOLDS.minRequests);

    // Windows follow each other: each starts where the one before ended, or later (a new step).
    const windows = decisions.map(windowOf);
    for (const [i, w] of windows.entries()) if (i > 0) expect(w.startMs).toBeGreaterThanOrEqual(windows[i - 1]!.endMs);
    // And Prometheus puts no raw sample into two of them.
    const seen = new Map<string, number>();
    for (const [i, w] of windows.entries()) {
      const samples = await samplesIn(w);
      expect(samples.length).toBeGreaterThan(0);
      for (const key of samples) {
        expect(seen.get(key), `${key} in windows ${seen.get(key)} and ${i}`).toBeUndefined();
        seen.set(key, i);
        const t = Number(key.slice(key.lastIndexOf('@') + 1));
        expect(t > w.startMs && t <= w.endMs).toBe(true);
      }
    }
  }, 120_000);

  it('puts a sample on a window boundary into the earlier window only', async () => {
    const now = Date.now();
    const samples = await samplesIn({ startMs: now - 10_000, endMs: now });
    const t = Number(samples[0]!.slice(samples[0]!.lastIndexOf('@') + 1));
    const key = samples[0]!;
    expect(await samplesIn({ startMs: t - 3000, endMs: t })).toContain(key);
    expect(await samplesIn({ startMs: t, endMs: t + 3000 })).not.toContain(key);
  });

  // The fake Prometheus answers from tests/fixtures/prometheus/query-responses.json: the real server's
  // answers must still have the shape recorded there (QCTL_RECORD_PROMETHEUS=1 re-records them).
  it('answers the queries the way the recorded answers the fake serves say', async () => {
    const now = Date.now();
    const queries = versionQueries(NS, { startMs: now - 10_000, endMs: now });
    const answer = async (expr: string) => {
      const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return { httpStatus: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as unknown };
    };
    const recorded = {
      source: `prometheus 2.42.0 (Debian), GET /api/v1/query, recorded ${new Date(now).toISOString()} by tests/canary/real-prometheus.test.ts against real API processes`,
      vector: (await answer(queries.requests)).body,
      // 2.0.0 (idle) has no user requests: a NaN quantile beside 1.0.0's number.
      nan: (await answer(versionQueries(NS, { startMs: now - 10_000, endMs: now }).p99)).body,
      empty: (await answer(versionQueries('quotes-elsewhere', { startMs: now - 10_000, endMs: now }).requests)).body,
      scraped: (await answer(`count(last_over_time(http_requests_total{namespace="${NS}"}[5m]))`)).body,
      badQuery: await answer('sum(('),
    };
    const fixture = repoPath('tests/fixtures/prometheus/query-responses.json');
    if (process.env.QCTL_RECORD_PROMETHEUS === '1') writeFileSync(fixture, `${JSON.stringify(recorded, null, 1)}\n`);
    // Values and timestamps move; the shape (status, result type, label names, error type) may not.
    const shape = (answer: unknown): unknown =>
      JSON.parse(JSON.stringify(answer), (key, value: unknown) => {
        if (key === 'value' && Array.isArray(value)) return ['<time>', typeof value[1]];
        if (key === 'metric' && value && typeof value === 'object') return Object.keys(value).sort();
        if (key === 'error' || key === 'source' || key === 'contentType') return '<text>';
        return value;
      });
    const stored = JSON.parse(readFileSync(fixture, 'utf8')) as typeof recorded;
    const kinds = (r: typeof recorded) => ({ ...r, source: '', vector: undefined, nan: undefined });
    expect(shape(kinds(recorded))).toEqual(shape(kinds(stored)));
    expect(shape((recorded.vector as { data: { result: unknown[] } }).data.result[0])).toEqual(
      shape((stored.vector as { data: { result: unknown[] } }).data.result[0]),
    );
  });
});
