import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeLoad, rampRates } from '../../bin/load/run.js';
import { singleUrlScenario } from '../../bin/load/scenario.js';
import { parseSlos } from '../../bin/load/slo.js';
import { formatTextReport } from '../../bin/load/text-report.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
beforeAll(async () => {
  // Fast up to 175 requests in any one second, 4 s per answer beyond that: the knee is known, and the
  // SLO (p95 < 2 s) leaves room below it for the stalls of a machine at load 8 (1.5 s were seen).
  target = await startTarget({ DEGRADE_ABOVE: '175', DEGRADE_DELAY_MS: '4000' });
});
afterAll(async () => {
  await target.stop();
});

/** A GET ramp against the degrading target, judged by p95 < 2 s and errors < 1 %. */
function rampAgainstTarget(ramp: { start: number; end: number; step: number; stepDurationMs: number }, maxInflight: number) {
  const url = `${target.url}/`;
  return executeLoad({
    targetUrl: url,
    scenario: singleUrlScenario(new URL(url), 'GET'),
    rate: 0,
    durationMs: 0,
    ramp,
    maxInflight,
    timeoutMs: 6000,
    slos: parseSlos('p95<2s,errors<1%'),
  });
}

describe('ramp', () => {
  it('lists the step rates, up or down', () => {
    expect(rampRates({ start: 50, end: 250, step: 50, stepDurationMs: 1 })).toEqual([50, 100, 150, 200, 250]);
    expect(rampRates({ start: 30, end: 10, step: 10, stepDurationMs: 1 })).toEqual([30, 20, 10]);
    expect(rampRates({ start: 10, end: 25, step: 10, stepDurationMs: 1 })).toEqual([10, 20]);
  });

  it('finds the knee of a server that degrades above a known rate and stops at the first breach', async () => {
    const report = await rampAgainstTarget({ start: 50, end: 300, step: 50, stepDurationMs: 1500 }, 1000);

    expect(report.ramp).not.toBeNull();
    const steps = report.ramp!.steps;
    expect(steps.map((s) => s.rate)).toEqual([50, 100, 150, 200]);
    expect(steps.map((s) => s.passed)).toEqual([true, true, true, false]);
    expect(report.ramp!.knee).toBe(150);
    expect(report.ramp!.highestPassed).toBe(150);
    expect(report.ramp!.stoppedEarly).toBe(true);
    // The failing step failed on latency, and its measured p95 shows the 4 s degradation.
    const breach = steps[3]!.slo.find((s) => s.name === 'p95')!;
    expect(breach.passed).toBe(false);
    expect(breach.measured!).toBeGreaterThan(3500);
    // Each step kept its own schedule.
    for (const step of steps) {
      expect(step.requests.scheduled).toBe(Math.round(step.rate * 1.5));
      // Never faster than the step's rate; how close it comes depends on the machine's load.
      expect(step.rateRatio).toBeGreaterThan(0);
      expect(step.rateRatio).toBeLessThanOrEqual(1.03);
    }
    // With a knee the ramp verdict passes, and the SLO table shows the knee step.
    expect(report.verdict).toBe('pass');
    expect(report.slo.results.every((r) => r.passed)).toBe(true);
    // Per-second series covers every step with its own target rate.
    expect(new Set(report.series.map((s) => s.targetRate))).toEqual(new Set([50, 100, 150, 200]));

    const text = formatTextReport(report);
    expect(text).toMatch(/^knee\s+150 req\/s is the highest rate that met the SLO; 200 req\/s breached it and the ramp stopped there$/m);
    expect(text).toMatch(/200\/s.*FAIL \(p95\)/);
    expect(text).toMatch(/^rate\s+ramp 50→300 req\/s, step 50 every 1\.5s \(4 of 6 steps run\); achieved \d+\.\d req\/s on average/m);
    expect(text).toMatch(/^SLO \(judged at the knee, 150 req\/s, the highest step that met it\)$/m);
  });

  it('reports no knee when no step breached, and no "sent 0 B" for bodiless GETs', async () => {
    const report = await rampAgainstTarget({ start: 40, end: 80, step: 40, stepDurationMs: 1000 }, 100);
    expect(report.ramp!.steps.map((s) => s.passed)).toEqual([true, true]);
    expect(report.ramp!.knee).toBeNull();
    expect(report.ramp!.highestPassed).toBe(80);
    expect(report.verdict).toBe('pass');
    const text = formatTextReport(report);
    expect(text).toMatch(/^knee\s+none found: every step up to 80 req\/s met the SLO \(ramp higher to find where the service bends\)$/m);
    expect(text).toMatch(/^SLO \(judged at the highest step, 80 req\/s\)$/m);
    expect(text).not.toMatch(/target \d/);
    expect(report.bytes.sent).toBe(0);
    expect(text).toMatch(/^bytes\s+received \d+(\.\d)? (B|KiB) of response bodies$/m);
  });
});
