import type { SecondResult } from './generator.js';
import type { HpaReport, LoadReport, WorkerSummary } from './report-schema.js';
import { buildReport, planRates, type LoadPlan, type RunOutcome, type StepRun } from './run.js';
import { mergeStats, type Stats } from './stats.js';
import { statsFromJson, type WorkerResult } from './worker-result.js';
import { worstFloor } from './noise-floor.js';

/** A worker as the coordinator saw it: its result (final or last checkpoint), or why there is none. */
export interface WorkerReturn {
  index: number;
  result?: WorkerResult;
  /** complete unless the worker stopped early or never returned a result. */
  state: WorkerSummary['state'];
  note: string | null;
  /** It died or did not finish on its own (thread crashed, pod failed, deadline), as opposed to stopped by Ctrl-C. */
  failed?: boolean;
}

const round = (n: number, digits = 3): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * N workers' runs as one run, exactly: counters add up, latency histograms are added bucket by
 * bucket (HdrHistogram add), and each step's send window spans from the first worker's start
 * to the last worker's end, so a worker that started late or fell behind lowers the achieved
 * rate instead of hiding. A step's target is the plan's full rate whether or not every worker
 * reported: a missing worker's share counts as not sent.
 */
export function mergeWorkerRuns(
  rates: number[],
  workers: WorkerReturn[],
  interrupted: boolean,
): { outcome: RunOutcome; summaries: WorkerSummary[] } {
  const decoded = workers.map((w) => ({
    ...w,
    steps: (w.result?.steps ?? []).map((step) => ({
      ...step,
      overall: statsFromJson(step.overall),
      seconds: step.seconds.map((s) => ({ second: s.second, targetRate: s.targetRate, stats: statsFromJson(s.stats) })),
    })),
  }));
  const reported = decoded.filter((w) => w.result !== undefined);
  const runStart = reported.length > 0 ? Math.min(...reported.map((w) => w.result!.startedAt)) : Date.now();
  const stepCount = Math.max(0, ...reported.map((w) => w.steps.length));

  const steps: StepRun[] = [];
  for (let k = 0; k < stepCount; k++) {
    const parts = reported
      .filter((w) => w.steps[k] !== undefined)
      .map((w) => ({ step: w.steps[k]!, startMs: w.result!.startedAt - runStart + w.steps[k]!.offsetMs }));
    const stepStart = Math.min(...parts.map((p) => p.startMs));
    const bySecond = new Map<number, Stats[]>();
    for (const { step, startMs } of parts) {
      const shift = Math.round((startMs - stepStart) / 1000);
      for (const s of step.seconds) {
        const list = bySecond.get(s.second + shift) ?? [];
        list.push(s.stats);
        bySecond.set(s.second + shift, list);
      }
    }
    const rate = rates[k] ?? parts.reduce((sum, p) => sum + p.step.rate, 0);
    const seconds: SecondResult[] = [...bySecond.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([second, list]) => ({ second, targetRate: rate, stats: mergeStats(list) }));
    steps.push({
      rate,
      offsetMs: stepStart,
      result: {
        overall: mergeStats(parts.map((p) => p.step.overall)),
        sendWindowMs: Math.max(...parts.map((p) => p.startMs + p.step.sendWindowMs)) - stepStart,
        elapsedMs: Math.max(...parts.map((p) => p.startMs + p.step.elapsedMs)) - stepStart,
        interrupted: parts.some((p) => p.step.interrupted),
        seconds,
      },
    });
  }

  const summaries: WorkerSummary[] = decoded.map((w) => {
    const window = w.steps.reduce((sum, s) => sum + s.sendWindowMs, 0);
    const total = mergeStats(w.steps.map((s) => s.overall));
    // A worker with nothing to show was still given its share of the first step.
    const share = window > 0 ? w.steps.reduce((sum, s) => sum + s.rate * s.sendWindowMs, 0) / window : (rates[0] ?? 0) / workers.length;
    return {
      index: w.index,
      targetRate: round(share),
      achievedRate: round(window > 0 ? total.sent / (window / 1000) : 0),
      sent: total.sent,
      dropped: total.dropped,
      errors: total.errors,
      startOffsetMs: w.result ? round(w.result.startOffsetMs, 1) : null,
      state: w.state,
      note: w.note,
      failed: w.failed === true || w.state === 'missing',
      loopDelayP99Ms: w.result?.loopDelayMs?.p99 ?? null,
    };
  });

  return {
    outcome: {
      startedAt: runStart,
      steps,
      interrupted: interrupted || reported.some((w) => w.result!.interrupted),
      // Workers run every step: only the merged run can be judged against the SLO.
      stoppedEarly: false,
      loopDelayMs: worstFloor(reported.map((w) => w.result!.loopDelayMs)),
    },
    summaries,
  };
}

/** The one report of a workers run, local or in-cluster alike. */
export function mergedReport(
  plan: LoadPlan,
  workers: WorkerReturn[],
  meta: { interrupted: boolean; hpa: HpaReport | null; inCluster: boolean; job: string | null; stopped: string | null },
): LoadReport {
  const { outcome, summaries } = mergeWorkerRuns(planRates(plan), workers, meta.interrupted);
  return buildReport(plan, outcome, {
    hpa: meta.hpa,
    workers: { count: workers.length, inCluster: meta.inCluster, job: meta.job, stopped: meta.stopped, list: summaries },
  });
}
