import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyseStep, formatDecision, judge, type Decision, type Thresholds } from '../../bin/canary/analysis.js';
import { PrometheusClient } from '../../bin/canary/prometheus.js';
import { readVersionNumbers } from '../../bin/canary/version-metrics.js';
import { freePort } from '../helpers/ports.js';
import { startFakePrometheus, type FakePrometheus } from '../helpers/fake-prometheus.js';

/**
 * The analysis loop end to end below the CLI: the real Prometheus client and queries against
 * the fake Prometheus answering scripted series, with a clock that moves by the interval on
 * every wait (so a grace period of minutes takes no time).
 */
const NS = 'quotes-dev';
const STABLE = 'stable-1';
const CANARY = 'canary-2';
const THRESHOLDS: Thresholds = { maxErrorRatio: 0.01, maxP99Ms: 500, maxP99Ratio: 1.5, minRequests: 20 };
const POLICY = { intervalMs: 30_000, graceMs: 120_000, checks: 2 };
const START = Date.parse('2026-11-30T12:00:00Z');

let prometheus: FakePrometheus;
beforeAll(async () => {
  prometheus = await startFakePrometheus();
});
afterAll(async () => {
  await prometheus.stop();
});
beforeEach(() => {
  prometheus.set(NS, STABLE, undefined);
  prometheus.set(NS, CANARY, undefined);
  prometheus.queries.length = 0;
  prometheus.windows.length = 0;
});

async function runStep(options: { step?: number; steps?: number; onCheck?: (check: number) => void } = {}) {
  const client = new PrometheusClient(prometheus.url);
  let clock = START;
  const decisions: Decision[] = [];
  const passed = await analyseStep({
    step: options.step ?? 1,
    steps: options.steps ?? 2,
    weight: 20,
    startedMs: START,
    thresholds: THRESHOLDS,
    policy: POLICY,
    measure: async (window) => {
      options.onCheck?.(decisions.length + 1);
      const numbers = await readVersionNumbers(client, { namespace: NS, window, versions: [STABLE, CANARY] });
      return { canary: numbers[CANARY]!, stable: numbers[STABLE]! };
    },
    onDecision: (d) => decisions.push(d),
    sleep: async (ms) => void (clock += ms),
    now: () => clock,
  });
  return { passed, decisions };
}

describe('canary analysis against a fake Prometheus', () => {
  it('passes a step after the required passing checks on good numbers, and promotes on the last step', async () => {
    prometheus.set(NS, STABLE, { requests: 4000, errors: 4, p99Seconds: 0.12 });
    prometheus.set(NS, CANARY, { requests: 1000, errors: 2, p99Seconds: 0.15 });
    const first = await runStep({ step: 1, steps: 2 });
    expect(first.passed).toBe(true);
    expect(first.decisions.map((d) => [d.outcome, d.action])).toEqual([
      ['pass', 'check again'],
      ['pass', 'next step'],
    ]);
    expect(first.decisions[0]!.numbers!.canary).toEqual({ requests: 1000, errors: 2, errorRatio: 0.002, p99Ms: 150 });
    expect(first.decisions[0]!.numbers!.stable).toEqual({ requests: 4000, errors: 4, errorRatio: 0.001, p99Ms: 120 });
    expect(formatDecision(first.decisions[1]!)).toBe(
      'step 1/2 (canary 20%) check 2, user requests 12:00:30.000-12:01:00.000 UTC (30.0s): pass -> next step: within every limit [canary 0.20% 5xx (2/1000), p99 150ms; stable 0.10% 5xx (4/4000), p99 120ms]',
    );
    // Each check asked about its own 30 s since the step began: (12:00:00, 12:00:30], then (12:00:30, 12:01:00].
    expect(first.decisions.map((d) => d.window)).toEqual([
      { start: '2026-11-30T12:00:00.000Z', end: '2026-11-30T12:00:30.000Z' },
      { start: '2026-11-30T12:00:30.000Z', end: '2026-11-30T12:01:00.000Z' },
    ]);
    expect(new Set(prometheus.windows.map((w) => `${w.startMs}-${w.endMs}`))).toEqual(
      new Set([`${START}-${START + 30_000}`, `${START + 30_000}-${START + 60_000}`]),
    );
    const last = await runStep({ step: 2, steps: 2 });
    expect(last.decisions.at(-1)!.action).toBe('promote');
    // Every question was one of the three queries qctl sends, scoped to the namespace.
    expect(new Set(prometheus.queries.map((q) => q.includes(`namespace="${NS}"`)))).toEqual(new Set([true]));
  });

  it('aborts on a canary error ratio above the limit, even when the stable one is worse', async () => {
    prometheus.set(NS, STABLE, { requests: 4000, errors: 400, p99Seconds: 0.12 });
    prometheus.set(NS, CANARY, { requests: 1000, errors: 50, p99Seconds: 0.1 });
    const { passed, decisions } = await runStep();
    expect(passed).toBe(false);
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ outcome: 'fail', action: 'abort', reason: 'canary error ratio 5.00% is above 1.00%' });
  });

  it('aborts on a canary p99 above the absolute limit', async () => {
    prometheus.set(NS, STABLE, { requests: 4000, errors: 0, p99Seconds: 0.6 });
    prometheus.set(NS, CANARY, { requests: 1000, errors: 0, p99Seconds: 0.75 });
    const { passed, decisions } = await runStep();
    expect(passed).toBe(false);
    expect(decisions[0]!.reason).toBe('canary p99 750ms is above 500ms');
    expect(decisions[0]!.numbers!.canary.errorRatio).toBe(0);
  });

  it('aborts on a canary p99 above the allowed multiple of the stable p99', async () => {
    prometheus.set(NS, STABLE, { requests: 4000, errors: 0, p99Seconds: 0.1 });
    prometheus.set(NS, CANARY, { requests: 1000, errors: 0, p99Seconds: 0.25 });
    const { passed, decisions } = await runStep();
    expect(passed).toBe(false);
    expect(decisions[0]!.reason).toBe('canary p99 250ms is above 1.5x the stable p99 100ms (150ms)');
  });

  it('waits while the canary has too little traffic, then passes once it has enough', async () => {
    prometheus.set(NS, STABLE, { requests: 4000, errors: 0, p99Seconds: 0.1 });
    prometheus.set(NS, CANARY, { requests: 5, errors: 0, p99Seconds: 0.1 });
    const { passed, decisions } = await runStep({
      onCheck: (check) => check === 3 && prometheus.set(NS, CANARY, { requests: 300, errors: 0, p99Seconds: 0.11 }),
    });
    expect(passed).toBe(true);
    expect(decisions.map((d) => d.outcome)).toEqual(['wait', 'wait', 'pass', 'pass']);
    expect(decisions[0]!.reason).toBe('canary served 5 user requests in the window, fewer than 20');
  });

  it('aborts when the canary has no series at all once the grace period is over', async () => {
    prometheus.set(NS, STABLE, { requests: 4000, errors: 0, p99Seconds: 0.1 });
    const { passed, decisions } = await runStep();
    expect(passed).toBe(false);
    // Checks at 30s, 60s, 90s wait; the one at 120s reaches the grace period of 2 minutes.
    expect(decisions.map((d) => d.action)).toEqual(['check again', 'check again', 'check again', 'abort']);
    expect(decisions[3]!.reason).toBe(
      'no usable canary data within the grace period of 2m: canary served 0 user requests in the window, fewer than 20',
    );
    expect(decisions[3]!.numbers!.canary).toEqual({ requests: 0, errors: 0, errorRatio: null, p99Ms: null });
  });

  it('counts an unreachable Prometheus as missing data and aborts after the grace period', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/`;
    const unreachable = new PrometheusClient(closed);
    let clock = 0;
    const decisions: Decision[] = [];
    const passed = await analyseStep({
      step: 1,
      steps: 1,
      weight: 50,
      startedMs: 0,
      thresholds: THRESHOLDS,
      policy: { intervalMs: 60_000, graceMs: 60_000, checks: 1 },
      measure: async (window) => {
        const numbers = await readVersionNumbers(unreachable, { namespace: NS, window, versions: [STABLE, CANARY] });
        return { canary: numbers[CANARY]!, stable: numbers[STABLE]! };
      },
      onDecision: (d) => decisions.push(d),
      sleep: async (ms) => void (clock += ms),
      now: () => clock,
    });
    expect(passed).toBe(false);
    expect(decisions[0]!.reason).toMatch(
      /^no usable canary data within the grace period of 1m: cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+\/ \(connection refused\)/,
    );
  });
});

describe('judge', () => {
  const version = (requests: number, errors: number, p99Ms: number | null) => ({
    requests,
    errors,
    errorRatio: requests > 0 ? errors / requests : null,
    p99Ms,
  });
  it('does not compare with a stable version that served too few requests to have a meaningful p99', () => {
    expect(judge({ canary: version(100, 0, 300), stable: version(3, 0, 10) }, THRESHOLDS).outcome).toBe('pass');
  });
  it('leaves the relative latency check out when maxP99Ratio is null', () => {
    expect(judge({ canary: version(100, 0, 300), stable: version(100, 0, 10) }, { ...THRESHOLDS, maxP99Ratio: null }).outcome).toBe('pass');
  });
  it('fails a p99 beyond the last histogram bucket', () => {
    expect(judge({ canary: version(100, 0, Infinity), stable: version(100, 0, 10) }, THRESHOLDS)).toEqual({
      outcome: 'fail',
      reason: 'canary p99 beyond the last bucket is above 500ms',
    });
  });
});
