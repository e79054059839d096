import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeLoad } from '../../bin/load/run.js';
import { singleUrlScenario } from '../../bin/load/scenario.js';
import { sendPathWarmUpRequests, warmSendPath } from '../../bin/load/warm-send-path.js';
import { startTarget, type Target } from './fixtures/target.js';

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target?.stop();
});

describe('the send path warm-up (JIT) before the clock starts', () => {
  it('runs against its own sink, never the target, and none of its requests enters the results', async () => {
    const before = await target.stats();
    const url = new URL(`${target.url}/`);
    const report = await executeLoad({
      targetUrl: url.href,
      scenario: singleUrlScenario(url, 'GET'),
      rate: 100,
      durationMs: 300,
      maxInflight: 20,
      timeoutMs: 5000,
      slos: [],
    });
    // The run warmed up first (once in this thread): the sink answered its requests...
    const warm = await warmSendPath(100);
    expect(warm.answered).toBeGreaterThan(0);
    expect(warm.answered).toBeLessThanOrEqual(sendPathWarmUpRequests(100));
    // ...and the results hold the run's 30 requests only, exactly those the target counted.
    expect(report.requests).toMatchObject({ scheduled: 30, sent: 30, responses: 30, dropped: 0 });
    expect(report.series.reduce((sum, s) => sum + s.sent, 0)).toBe(30);
    expect(report.statusCodes).toEqual({ '200': 30 });
    const after = await target.stats();
    expect(after.count - before.count).toBe(30);
    // The target's marked requests are only its own warm-up (half a second of the rate, then one
    // per pooled connection, at most --max-inflight): the JIT warm-up never went there.
    expect(after.warmUps - before.warmUps).toBeGreaterThan(0);
    expect(after.warmUps - before.warmUps).toBeLessThanOrEqual(100 / 2 + 20);
  });

  it('warms each thread once: later runs in the same thread reuse it', () => {
    expect(warmSendPath(100)).toBe(warmSendPath(20_000));
  });

  it('sends about a second of the first rate, at least 500 and at most 3,000 requests', () => {
    expect(sendPathWarmUpRequests(50)).toBe(500);
    expect(sendPathWarmUpRequests(1200.5)).toBe(1201);
    expect(sendPathWarmUpRequests(50_000)).toBe(3000);
  });
});
