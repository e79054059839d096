import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { mergedReport, mergeWorkerRuns, type WorkerReturn } from '../../bin/load/merge.js';
import { loadReportSchema } from '../../bin/load/report-schema.js';
import type { LoadPlan, RunOutcome } from '../../bin/load/run.js';
import { singleUrlScenario } from '../../bin/load/scenario.js';
import { parseSlos } from '../../bin/load/slo.js';
import { Stats } from '../../bin/load/stats.js';
import { formatTextReport } from '../../bin/load/text-report.js';
import { findWorkerResult, workerResult } from '../../bin/load/worker-result.js';

/** mulberry32: a seeded generator, so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A latency in microseconds from a long-tailed mix: most fast, some slow, a few very slow. */
function latencyUs(rand: () => number): number {
  const r = rand();
  if (r < 0.9) return 200 + rand() * 5_000;
  if (r < 0.99) return 5_000 + rand() * 100_000;
  return 100_000 + rand() * 3_000_000;
}

type Sample = { latencyUs: number; status: number; second: number };

function record(stats: Stats, sample: Sample): void {
  stats.scheduled++;
  stats.sent++;
  stats.recordResponse(sample.status, sample.latencyUs, 2);
}

/** One worker's run of one constant-rate step over `seconds` seconds, from its samples. */
function outcomeOf(samples: Sample[], rate: number, seconds: number, startedAt: number): RunOutcome {
  const overall = new Stats(3);
  const perSecond = Array.from({ length: seconds }, (_, second) => ({ second, targetRate: rate, stats: new Stats(2) }));
  for (const sample of samples) {
    record(overall, sample);
    record(perSecond[sample.second]!.stats, sample);
  }
  return {
    startedAt,
    loopDelayMs: null,
    interrupted: false,
    stoppedEarly: false,
    steps: [
      {
        rate,
        offsetMs: 0,
        result: { elapsedMs: seconds * 1000 + 5, sendWindowMs: seconds * 1000, interrupted: false, overall, seconds: perSecond },
      },
    ],
  };
}

/** Through the wire format: a pod's log with other lines around the result line. */
function throughLog(index: number, count: number, startAt: number, outcome: RunOutcome): WorkerReturn {
  const line = JSON.stringify(workerResult(index, count, startAt, outcome));
  const result = findWorkerResult(`qctl load worker ${index}/${count}: starting\n${line}\n(node:1) Warning: something\n`);
  return { index, result, state: 'complete', note: null };
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

describe('merging worker results', () => {
  it('gives the same percentiles as one histogram of all samples, and counters that add up (property, 40 random cases)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = random(seed);
      const count = 1 + Math.floor(rand() * 8);
      const seconds = 1 + Math.floor(rand() * 4);
      const total = Math.floor(rand() * 5000);
      const all = new Stats(3);
      const byWorker: Sample[][] = Array.from({ length: count }, () => []);
      for (let i = 0; i < total; i++) {
        const sample: Sample = { latencyUs: latencyUs(rand), status: rand() < 0.02 ? 503 : 200, second: Math.floor(rand() * seconds) };
        record(all, sample);
        // Uneven shares: the merge must not assume workers sent alike.
        byWorker[Math.floor(rand() ** 2 * count)]!.push(sample);
      }
      const startAt = 1_700_000_000_000;
      const workers = byWorker.map((samples, index) =>
        throughLog(index, count, startAt, outcomeOf(samples, 100 / count, seconds, startAt)),
      );
      const { outcome, summaries } = mergeWorkerRuns([100], workers, false);
      const merged = outcome.steps[0]!.result.overall;

      const context = `seed ${seed}: ${count} workers, ${total} samples`;
      expect(merged.histogram.totalCount, context).toBe(all.histogram.totalCount);
      // A histogram sent through the JSON format keeps the bucket, not the exact value, of its largest
      // sample, and percentiles are clamped to that max: compare with one histogram sent alone.
      const sentAlone = new Stats(3);
      sentAlone.histogram.add(hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(all.histogram)));
      for (const p of PERCENTILES) expect(merged.percentileMs(p), `${context}, p${p}`).toBe(sentAlone.percentileMs(p));
      if (total > 0) {
        expect(merged.histogram.minNonZeroValue, context).toBe(all.histogram.minNonZeroValue);
        // Decoding keeps the bucket, not the exact value, of the largest sample: as one histogram sent alone would.
        const alone = hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(all.histogram));
        expect(merged.histogram.maxValue, context).toBe(alone.maxValue);
        expect(merged.histogram.mean, context).toBeCloseTo(all.histogram.mean, 6);
      }
      expect([merged.scheduled, merged.sent, merged.responses, merged.errors, merged.bytesIn], context).toEqual([
        all.scheduled,
        all.sent,
        all.responses,
        all.errors,
        all.bytesIn,
      ]);
      expect(Object.fromEntries(merged.statusCodes), context).toEqual(Object.fromEntries(all.statusCodes));
      // The per-second series merges the same way: every second holds all of that second's samples.
      const secondsTotal = outcome.steps[0]!.result.seconds.reduce((sum, s) => sum + s.stats.histogram.totalCount, 0);
      expect(secondsTotal, context).toBe(total);
      expect(
        summaries.map((s) => s.sent),
        context,
      ).toEqual(byWorker.map((w) => w.length));
    }
  });

  it('reports a worker that returned nothing, keeps its share in the target, and fails the verdict', () => {
    const startAt = Date.now();
    const rand = random(7);
    const samples = (n: number): Sample[] => Array.from({ length: n }, () => ({ latencyUs: latencyUs(rand), status: 200, second: 0 }));
    const workers: WorkerReturn[] = [
      throughLog(0, 3, startAt, outcomeOf(samples(100), 100, 1, startAt)),
      { index: 1, state: 'missing', note: 'pod quote-api-load-x-1 failed (OOMKilled) without a result' },
      throughLog(2, 3, startAt, outcomeOf(samples(100), 100, 1, startAt)),
    ];
    const url = 'http://127.0.0.1:1/';
    const plan: LoadPlan = {
      targetUrl: url,
      scenario: singleUrlScenario(new URL(url), 'GET'),
      rate: 300,
      durationMs: 1000,
      maxInflight: 100,
      timeoutMs: 2000,
      slos: parseSlos('p99<10s'),
    };
    const report = loadReportSchema.parse(
      mergedReport(plan, workers, { interrupted: false, hpa: null, inCluster: true, job: 'quote-api-load-x', stopped: null }),
    );
    expect(report.requests.sent).toBe(200);
    expect(report.targetRate).toBe(300);
    expect(report.rateRatio).toBeCloseTo(2 / 3, 2);
    expect(report.slo.passed).toBe(true);
    expect(report.verdict).toBe('fail');
    expect(report.workers?.list.map((w) => [w.index, w.state, w.targetRate])).toEqual([
      [0, 'complete', 100],
      [1, 'missing', 100],
      [2, 'complete', 100],
    ]);
    const text = formatTextReport(report);
    expect(text).toMatch(
      /^1 +100\.0\/s +0\.0\/s +0 +0 +0 +- +- +missing \(pod quote-api-load-x-1 failed \(OOMKilled\) without a result\)$/m,
    );
    expect(text).toMatch(/verdict {4}FAIL \(worker 1 returned no result\)/);
  });

  it('places a late worker in the seconds it actually sent in, and charges its lateness to the send window', () => {
    const startAt = 1_700_000_000_000;
    const one = (second: number): Sample => ({ latencyUs: 1000, status: 200, second });
    const onTime = throughLog(0, 2, startAt, outcomeOf([one(0), one(1)], 1, 2, startAt));
    const late = throughLog(1, 2, startAt, outcomeOf([one(0), one(1)], 1, 2, startAt + 1000));
    const { outcome, summaries } = mergeWorkerRuns([2], [onTime, late], false);
    const step = outcome.steps[0]!.result;
    expect(step.seconds.map((s) => [s.second, s.stats.sent])).toEqual([
      [0, 1],
      [1, 2],
      [2, 1],
    ]);
    expect(step.sendWindowMs).toBe(3000);
    expect(summaries.map((s) => s.startOffsetMs)).toEqual([0, 1000]);
  });

  it('skips log lines that are not a whole result, such as one cut short when the pod was killed', () => {
    const startAt = Date.now();
    const line = JSON.stringify(workerResult(0, 1, startAt, outcomeOf([], 1, 1, startAt)));
    expect(findWorkerResult(`${line}\n${line.slice(0, 40)}\n`)?.index).toBe(0);
    expect(findWorkerResult('Error: connect ECONNREFUSED\n')).toBeUndefined();
    expect(findWorkerResult(`{"qctlLoadWorker":1,"index":"zero"}\n`)).toBeUndefined();
  });
});
