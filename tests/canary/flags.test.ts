import { describe, expect, it } from 'vitest';
import { parseCanaryFlags as parseWithSettings, type CanaryFlags } from '../../bin/canary/flags.js';
import { defaultSettings } from '../../infra/environments.js';

/** The canary options of `qctl up` as commander hands them over: only --canary given. */
const flags = (overrides: Partial<CanaryFlags> = {}): CanaryFlags & { canary: string } => ({
  canary: '20',
  analysis: true,
  ...overrides,
});
const SETTINGS = defaultSettings('dev').canary.analysis;
const parseCanaryFlags = (given: CanaryFlags & { canary: string }) => parseWithSettings(given, SETTINGS);

describe('parseCanaryFlags', () => {
  it('turns the default settings into the ladder 20 -> 50, the limits and the policy', () => {
    expect(parseCanaryFlags(flags())).toEqual({
      weights: [20, 50],
      analysis: true,
      thresholds: { maxErrorRatio: 0.01, maxP99Ms: 500, maxP99Ratio: 1.5, minRequests: 20 },
      policy: { intervalMs: 30_000, graceMs: 120_000, checks: 2 },
      prometheusUrl: undefined,
      loadRate: 0,
    });
  });

  it('takes canary.analysis settings where no flag is given, and the flag over the setting', () => {
    const settings = { ...SETTINGS, interval: '1m', maxP99: '250ms', maxP99Ratio: null, minRequests: 50, load: 10 };
    const plan = parseWithSettings(flags({ maxP99: '300ms' }), settings);
    expect(plan.policy.intervalMs).toBe(60_000);
    expect(plan.thresholds).toMatchObject({ maxP99Ms: 300, maxP99Ratio: null, minRequests: 50 });
    expect(plan.loadRate).toBe(10);
    expect(() => parseWithSettings(flags(), { ...SETTINGS, interval: '2h' })).toThrow(
      'invalid canary.analysis.interval "2h": it may be at most 1h',
    );
  });

  it('builds the ladder from --canary and --canary-steps; 50 is only added below it', () => {
    expect(parseCanaryFlags(flags({ canary: '60' })).weights).toEqual([60]);
    expect(parseCanaryFlags(flags({ canary: '10', canarySteps: '25,50,75' })).weights).toEqual([10, 25, 50, 75]);
    expect(parseCanaryFlags(flags({ canary: '10', canarySteps: '' })).weights).toEqual([10]);
    // Without analysis nothing walks a ladder.
    expect(parseCanaryFlags(flags({ canary: '10', canarySteps: '25', analysis: false })).weights).toEqual([10]);
  });

  it('reads ratios as percent or fractions, p99 as a duration, the factor or off', () => {
    const plan = parseCanaryFlags(flags({ maxErrorRatio: '0.005', maxP99: '1s', maxP99Ratio: 'off', analysisInterval: '2m' }));
    expect(plan.thresholds).toMatchObject({ maxErrorRatio: 0.005, maxP99Ms: 1000, maxP99Ratio: null });
    expect(plan.policy.intervalMs).toBe(120_000);
    expect(parseCanaryFlags(flags({ maxErrorRatio: '0.5%' })).thresholds.maxErrorRatio).toBe(0.005);
  });

  it.each([
    [{ canary: '0' }, 'invalid --canary "0": give the canary\'s share of traffic in percent, a whole number 1..100, e.g. --canary 20'],
    [{ canary: '12.5' }, 'invalid --canary "12.5"'],
    [{ canary: '50', canarySteps: '40' }, 'invalid --canary-steps "40": the weights must rise above --canary 50'],
    [{ canarySteps: '30,101' }, 'invalid --canary-steps "101"'],
    [
      { maxErrorRatio: 'lots' },
      'invalid --max-error-ratio "lots": give a share of requests, e.g. --max-error-ratio 1% or --max-error-ratio 0.01',
    ],
    [{ maxErrorRatio: '150%' }, 'invalid --max-error-ratio "150%"'],
    [{ maxP99: '300' }, 'invalid --max-p99 "300": add a unit'],
    [{ maxP99Ratio: '0' }, 'invalid --max-p99-ratio "0": give a factor up to 1000 such as 1.5, or off'],
    [{ minRequests: '0' }, 'invalid --min-requests "0": give a whole number from 1 to 1000000'],
    // Every duration has an upper bound: Node's timers overflow above 24.8 days and fire at once.
    [{ analysisInterval: '600h' }, 'invalid --analysis-interval "600h": it may be at most 1h'],
    [{ analysisGrace: '25h' }, 'invalid --analysis-grace "25h": it may be at most 24h'],
    [{ maxP99: '30s' }, 'invalid --max-p99 "30s": it may be at most 10s'],
    [{ canaryLoad: 'fast' }, 'invalid --canary-load "fast": give a whole number from 0 to 10000'],
    [{ prometheusUrl: 'ftp://admin:hunter2@prom' }, 'invalid --prometheus-url "ftp://***@prom"'],
    [{ analysisChecks: 'two' }, 'invalid --analysis-checks "two"'],
    [{ prometheusUrl: 'prometheus:9090' }, 'invalid --prometheus-url "prometheus:9090": give an http:// or https:// URL'],
  ] as const)('refuses %o with one line naming the flag and the fix', (bad, message) => {
    expect(() => parseCanaryFlags(flags(bad))).toThrow(message);
  });
});
