import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOpenLoop, type Clock } from '../../bin/load/generator.js';
import { executeLoad } from '../../bin/load/run.js';
import { singleUrlScenario } from '../../bin/load/scenario.js';
import { poolSizeFor } from '../../bin/load/client.js';
import { ResponseLog } from '../../bin/load/response-log.js';
import { newHistogram } from '../../bin/load/stats.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target?.stop();
});

/** A clock the test moves by hand; the generator's one timer fires only when the test says so. */
function fakeClock(): Clock & { t: number; wakeIns: number[]; fire(at: number): void } {
  let pending: (() => void) | undefined;
  const clock = {
    t: 0,
    wakeIns: [] as number[],
    now: () => clock.t,
    setTimer(callback: () => void, ms: number) {
      clock.wakeIns.push(ms);
      pending = callback;
      return callback;
    },
    clearTimer() {
      pending = undefined;
    },
    fire(at: number) {
      clock.t = at;
      const callback = pending;
      pending = undefined;
      callback?.();
    },
  };
  return clock;
}

describe('the batched scheduler, on a clock the test moves', () => {
  it('sends every request due at each tick, and measures each from its own scheduled time', async () => {
    const clock = fakeClock();
    const before = (await target.stats()).count;
    const url = new URL(`${target.url}/`);
    // Phase 1: 1,000 req/s for 50 ms (due at 0, 1, ..., 49 ms); phase 2: 500 req/s for 50 ms (50, 52, ..., 98 ms).
    const run = runOpenLoop({
      phases: [
        { rate: 1000, durationMs: 50 },
        { rate: 500, durationMs: 50 },
      ],
      source: singleUrlScenario(url, 'GET'),
      maxInflight: 1000,
      timeoutMs: 60_000,
      sendGraceMs: 20,
      clock,
    });
    // The first tick ran at 0 and sent the request due then; it asks to wake when the next is due.
    expect(clock.wakeIns).toEqual([1]);
    // A late timer: at 37.25 ms one tick sends the 37 requests due since (1..37 ms).
    clock.fire(37.25);
    expect(clock.wakeIns.at(-1)).toBe(0.75);
    // Then straight to the planned end: every remaining request (38..49, and all of phase 2) in one tick.
    // No answer can arrive before this (the test has not yielded), so all are measured at 100 ms.
    clock.fire(100);
    const result = await run;

    expect(result.overall.scheduled).toBe(75);
    expect(result.overall.sent).toBe(75);
    expect(result.overall.responses).toBe(75);
    expect(result.overall.dropped).toBe(0);
    expect((await target.stats()).count - before).toBe(75);
    expect(result.phases.map((p) => p.stats.sent)).toEqual([50, 25]);
    // Latency = clock at the answer (100 ms) - scheduled time, whatever tick sent it: exactly the
    // histogram of 100 - due over the schedule.
    const expected = newHistogram(3);
    for (let i = 0; i < 50; i++) expected.recordValue((100 - i) * 1000);
    for (let i = 0; i < 25; i++) expected.recordValue((100 - (50 + 2 * i)) * 1000);
    for (const p of [0, 1, 50, 90, 99, 100]) {
      expect(result.overall.histogram.getValueAtPercentile(p), `p${p}`).toBe(expected.getValueAtPercentile(p));
    }
    expect(result.overall.histogram.minNonZeroValue).toBe(expected.minNonZeroValue);
    expect(result.seconds.map((s) => s.stats.scheduled)).toEqual([75]);
  });
});

describe('sends on the wake-up of an answer', () => {
  it('sends what fell due since the last tick when an answer wakes the loop, before the timer fires', async () => {
    const clock = fakeClock();
    const before = (await target.stats()).count;
    const url = new URL(`${target.url}/`);
    // 1,000 req/s for 20 ms: due at 0, 1, ..., 19 ms.
    const run = runOpenLoop({
      phases: [{ rate: 1000, durationMs: 20 }],
      source: singleUrlScenario(url, 'GET'),
      maxInflight: 100,
      timeoutMs: 60_000,
      sendGraceMs: 20,
      clock,
    });
    // The tick at 0 sent the first request and set its timer for 1 ms, which never fires here:
    // the clock moves to 5.5 ms while the answer is on its way. Its wake-up sends the requests
    // due at 1..5 ms; their answers find nothing more due.
    clock.t = 5.5;
    const sentSoFar = async (): Promise<number> => (await target.stats()).count - before;
    for (let waited = 0; (await sentSoFar()) < 6 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(await sentSoFar()).toBe(6);
    expect(clock.wakeIns).toEqual([1]);
    clock.fire(20);
    const result = await run;

    expect(result.overall.sent).toBe(20);
    expect(result.overall.responses).toBe(20);
    // Each measured from its own due time: the first six answered at 5.5 ms, the rest at 20 ms.
    const expected = newHistogram(3);
    for (let i = 0; i < 6; i++) expected.recordValue((5.5 - i) * 1000);
    for (let i = 6; i < 20; i++) expected.recordValue((20 - i) * 1000);
    for (const p of [0, 25, 50, 90, 100]) {
      expect(result.overall.histogram.getValueAtPercentile(p), `p${p}`).toBe(expected.getValueAtPercentile(p));
    }
  });
});

describe('the answer log (the response path writes numbers; histograms are updated in batches)', () => {
  it('hands back every answer in order, also when it fills between two folds', () => {
    const folded: number[][] = [];
    const log: ResponseLog = new ResponseLog(4, () => log.drain((...entry) => folded.push(entry)));
    for (let i = 0; i < 10; i++) log.push(i % 2, i, 200 + i, i * 1.5, 10 * i);
    expect(folded).toHaveLength(8);
    expect(log.size).toBe(2);
    log.drain((...entry) => folded.push(entry));
    expect(log.size).toBe(0);
    expect(folded).toEqual(Array.from({ length: 10 }, (_, i) => [i % 2, i, 200 + i, i * 1.5, 10 * i]));
  });
});

describe('connection pool sized to the rate', () => {
  it('opens the connections the rate needs before the clock starts, never more than --max-inflight', async () => {
    const sized = await startTarget({ DELAY_MS: '5' });
    try {
      const url = new URL(`${sized.url}/`);
      await executeLoad({
        targetUrl: url.href,
        scenario: singleUrlScenario(url, 'GET'),
        rate: 2000,
        durationMs: 500,
        maxInflight: 40,
        timeoutMs: 5000,
        slos: [],
      });
      const stats = await sized.stats();
      // Answers take at least 5 ms, so the warm-up measured at least that: at least this many were
      // opened before the first counted request (and the cap holds whatever the machine did).
      expect(stats.connectionsBeforeFirst).toBeGreaterThanOrEqual(poolSizeFor(2000, 5, 40));
      expect(stats.connectionsBeforeFirst).toBeLessThanOrEqual(40);
    } finally {
      await sized.stop();
    }
  });
});
