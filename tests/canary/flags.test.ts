import { describe, expect, it } from 'vitest';
import { parseCanaryFlags, type CanaryFlags } from '../../bin/canary/flags.js';

/** The canary options of `qctl up` as commander hands them over, with its defaults. */
const flags = (overrides: Partial<CanaryFlags> = {}): CanaryFlags & { canary: string } => ({
  canary: '20',
  analysis: true,
  analysisInterval: '30s',
  analysisGrace: '2m',
  analysisChecks: '2',
  maxErrorRatio: '1%',
  maxP99: '500ms',
  maxP99Ratio: '1.5',
  minRequests: '20',
  ...overrides,
});

describe('parseCanaryFlags', () => {
  it('turns the defaults into the ladder 20 -> 50, the limits and the policy', () => {
    expect(parseCanaryFlags(flags())).toEqual({
      weights: [20, 50],
      analysis: true,
      thresholds: { maxErrorRatio: 0.01, maxP99Ms: 500, maxP99Ratio: 1.5, minRequests: 20 },
      policy: { intervalMs: 30_000, graceMs: 120_000, checks: 2 },
      windowSeconds: 60,
      prometheusUrl: undefined,
    });
  });

  it('builds the ladder from --canary and --canary-steps; 50 is only added below it', () => {
    expect(parseCanaryFlags(flags({ canary: '60' })).weights).toEqual([60]);
    expect(parseCanaryFlags(flags({ canary: '10', canarySteps: '25,50,75' })).weights).toEqual([10, 25, 50, 75]);
    expect(parseCanaryFlags(flags({ canary: '10', canarySteps: '' })).weights).toEqual([10]);
    // Without analysis nothing walks a ladder.
    expect(parseCanaryFlags(flags({ canary: '10', canarySteps: '25', analysis: false })).weights).toEqual([10]);
  });

  it('reads ratios as percent or fractions, p99 as a duration, the factor or off, and a window of at least a minute', () => {
    const plan = parseCanaryFlags(flags({ maxErrorRatio: '0.005', maxP99: '1s', maxP99Ratio: 'off', analysisInterval: '2m' }));
    expect(plan.thresholds).toMatchObject({ maxErrorRatio: 0.005, maxP99Ms: 1000, maxP99Ratio: null });
    expect(plan.windowSeconds).toBe(120);
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
    [{ maxP99Ratio: '0' }, 'invalid --max-p99-ratio "0": give a factor such as 1.5, or off'],
    [{ minRequests: '0' }, 'invalid --min-requests "0": give a whole number of at least 1'],
    [{ analysisChecks: 'two' }, 'invalid --analysis-checks "two"'],
    [{ prometheusUrl: 'prometheus:9090' }, 'invalid --prometheus-url "prometheus:9090": give an http:// or https:// URL'],
  ] as const)('refuses %o with one line naming the flag and the fix', (bad, message) => {
    expect(() => parseCanaryFlags(flags(bad))).toThrow(message);
  });
});
