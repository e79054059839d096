import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeNoiseFloor, worstFloor } from '../../bin/load/noise-floor.js';
import { executeLoad } from '../../bin/load/run.js';
import { singleUrlScenario } from '../../bin/load/scenario.js';
import { formatTextReport } from '../../bin/load/text-report.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target?.stop();
});

describe("the generator's noise floor", () => {
  it('is reported with every run, and flagged when qctl itself blocks its event loop (the verdict says so)', async () => {
    // Block this process's event loop on purpose, 200 ms out of every 250: the generator runs here.
    const blocker = setInterval(() => {
      const until = performance.now() + 200;
      while (performance.now() < until);
    }, 250);
    try {
      const url = new URL(`${target.url}/`);
      const report = await executeLoad({
        targetUrl: url.href,
        scenario: singleUrlScenario(url, 'GET'),
        rate: 50,
        durationMs: 2000,
        maxInflight: 100,
        timeoutMs: 5000,
        slos: [],
      });
      expect(report.generator.loopDelayMs).not.toBeNull();
      expect(report.generator.trusted).toBe(false);
      expect(report.generator.note).toMatch(/may be qctl's pauses, not the target's/);
      const text = formatTextReport(report);
      expect(text).toMatch(/^floor {6}qctl's event loop ran late by p99 .*TOO HIGH to trust the latency p99$/m);
      expect(text).toMatch(/^warning {4}the generator's own event loop/m);
    } finally {
      clearInterval(blocker);
    }
  });

  it('trusts a p99 well above the floor, or a floor of a couple of ms, and takes the noisiest worker', () => {
    expect(judgeNoiseFloor({ p50: 0.1, p99: 1.5, max: 9 }, 1.6).trusted).toBe(true);
    expect(judgeNoiseFloor({ p50: 1, p99: 20, max: 40 }, 250).trusted).toBe(true);
    expect(judgeNoiseFloor({ p50: 1, p99: 20, max: 40 }, 30)).toMatchObject({ trusted: false, note: expect.stringMatching(/20 ms/) });
    expect(judgeNoiseFloor(null, 30).trusted).toBe(true);
    // One long pause: 300 ms is 6 % of a 5 s run, so it reaches the p99 although the loop's p99 is low.
    expect(judgeNoiseFloor({ p50: 0.05, p99: 1.9, max: 300 }, 278, 5000)).toMatchObject({
      trusted: false,
      note: expect.stringMatching(/stalled once for 300 ms, 1 % or more of the 5 s it sent for/),
    });
    // The same pause in a 60 s run is half a percent of it: the p99 (278 ms) is not that pause.
    expect(judgeNoiseFloor({ p50: 0.05, p99: 1.9, max: 300 }, 278, 60_000).trusted).toBe(true);
    // A pause far below the p99 leaves it the target's.
    expect(judgeNoiseFloor({ p50: 0.05, p99: 1.9, max: 100 }, 278, 5000).trusted).toBe(true);
    // A pause of a couple of ms never matters.
    expect(judgeNoiseFloor({ p50: 0.05, p99: 0.5, max: 1.5 }, 1.2, 100).trusted).toBe(true);
    expect(worstFloor([{ p50: 1, p99: 3, max: 4 }, null, { p50: 0.5, p99: 7, max: 8 }])).toEqual({ p50: 1, p99: 7, max: 8 });
  });
});
