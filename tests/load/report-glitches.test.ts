import { describe, expect, it } from 'vitest';
import { niceTicks, renderHtmlReport } from '../../bin/load/html-report.js';
import { executeLoad } from '../../bin/load/run.js';
import { singleUrlScenario } from '../../bin/load/scenario.js';
import { parseSlos } from '../../bin/load/slo.js';
import { Stats, summarizeLatency } from '../../bin/load/stats.js';
import { formatTextReport } from '../../bin/load/text-report.js';
import { startTarget } from './fixtures/target.js';

describe('load report numbers and charts', () => {
  it('never reports a percentile above the largest latency recorded (HDR bucket upper bounds are clamped to max)', () => {
    const stats = new Stats();
    // 2028.1 ms falls in a bucket whose upper bound is 2028.5 ms at 3 significant digits.
    for (let i = 0; i < 999; i++) stats.histogram.recordValue(1_000);
    stats.histogram.recordValue(2_028_100);
    expect(stats.histogram.getValueAtPercentile(99.99)).toBeGreaterThan(2_028_100);
    const latency = summarizeLatency(stats)!;
    expect(latency.max).toBe(2028.1);
    for (const p of [latency.p50, latency.p90, latency.p99, latency.p999]) expect(p).toBeLessThanOrEqual(latency.max);
    expect(stats.percentileMs(100)).toBe(2028.1);
  });

  it('puts chart ticks at round values (1, 2 or 5 times a power of ten), up to at least the largest value', () => {
    expect(niceTicks(0, 3.45)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(0, 34.5)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(0, 0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 212)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(niceTicks(3, 17)).toEqual([0, 5, 10, 15, 20]);
  });
});

describe('load report of a ramp', () => {
  it('says which step its SLO table judges, draws round ticks and keeps coinciding lines visible', async () => {
    const target = await startTarget({});
    try {
      const url = `${target.url}/`;
      const report = await executeLoad({
        targetUrl: url,
        scenario: singleUrlScenario(new URL(url), 'GET'),
        rate: 0,
        durationMs: 0,
        ramp: { start: 19, end: 38, step: 19, stepDurationMs: 1000 },
        maxInflight: 100,
        timeoutMs: 2000,
        // Never met: the ramp is judged at its first step, which breached it.
        slos: parseSlos('p50<0.001ms'),
      });
      const text = formatTextReport(report);
      expect(text).toMatch(/^SLO \(judged at the first step, 19 req\/s, which breached it\)$/m);
      const html = renderHtmlReport(report);
      expect(html).toContain('<h2>SLO (judged at the first step, 19 req/s, which breached it)</h2>');

      // The rate chart: target 19 req/s (the ramp stops at the breach). Its y ticks are round numbers, never 7.60-style fifths of a padded top.
      const rateChart = /<figure id="rate-over-time">[\s\S]*?<\/figure>/.exec(html)![0];
      const labels = [...rateChart.matchAll(/<text class="tick"[^>]*text-anchor="end"[^>]*>([^<]*)</g)].map((m) => Number(m[1]));
      expect(labels.length).toBeGreaterThan(2);
      const step = labels[1]! - labels[0]!;
      expect(step / 10 ** Math.floor(Math.log10(step))).toSatisfy((m: number) => [1, 2, 5].includes(m));
      expect(labels.at(-1)).toBeGreaterThanOrEqual(Math.max(...report.series.map((s) => Math.max(s.targetRate, s.sent))));

      // errors and dropped are both 0 all along, one on top of the other: the one drawn first is wider.
      const widths = Object.fromEntries(
        [...rateChart.matchAll(/data-series="(\w+)"[^>]*stroke-width="([\d.]+)"/g)].map((m) => [m[1]!, Number(m[2])]),
      );
      expect(Object.keys(widths)).toEqual(['target', 'sent', 'dropped', 'errors']);
      expect(widths.dropped).toBeGreaterThan(widths.errors!);
      expect(widths.sent).toBeGreaterThan(widths.dropped!);
      expect(widths.target).toBeGreaterThan(widths.sent!);
    } finally {
      await target.stop();
    }
  });
});
