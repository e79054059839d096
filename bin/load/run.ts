import { HttpClient, poolSizeFor } from './client.js';
import { runOpenLoop, type GeneratorResult } from './generator.js';
import type { Scenario } from './scenario.js';
import { evaluateSlos, type Slo } from './slo.js';
import { mergeStats, percentileCurve, sloSubject, summarizeLatency, type Stats } from './stats.js';
import type { HpaReport, LoadReport, StepReport } from './report-schema.js';
import { judgeNoiseFloor, startLoopDelayMonitor, type LoopDelay } from './noise-floor.js';
import { warmSendPath } from './warm-send-path.js';

/** Most requests sent before the clock starts to open connections (not counted; see HttpClient.warmUp). */
export const WARM_UP_REQUESTS = 3000;
export const DEFAULT_SEND_GRACE_MS = 20;
const WARM_UP_CONNECTIONS = 10;

export interface Ramp {
  start: number;
  end: number;
  step: number;
  stepDurationMs: number;
}

export interface LoadPlan {
  targetUrl: string | null;
  scenario: Scenario;
  /** Constant rate; ignored when `ramp` is set. */
  rate: number;
  durationMs: number;
  ramp?: Ramp;
  maxInflight: number;
  timeoutMs: number;
  /** How long a request due at the in-flight cap may wait for a slot before it counts as dropped. */
  sendGraceMs?: number;
  slos: Slo[];
}

export interface RunHooks {
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  /** Started with the run, stopped after it: the HPA watcher. */
  watcher?: { start(startedAt: number): void; stop(): Promise<HpaReport> };
}

export function rampRates(ramp: Ramp): number[] {
  const rates: number[] = [];
  const direction = ramp.end >= ramp.start ? 1 : -1;
  for (let rate = ramp.start; direction > 0 ? rate <= ramp.end + 1e-9 : rate >= ramp.end - 1e-9; rate += direction * ramp.step) {
    rates.push(Math.round(rate * 1000) / 1000);
  }
  return rates;
}

const round = (n: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** The request counters of a slice, as the report (and the worker result) carry them. */
export function counts(stats: Stats) {
  return {
    scheduled: stats.scheduled,
    sent: stats.sent,
    dropped: stats.dropped,
    responses: stats.responses,
    errors: stats.errors,
    cancelled: stats.cancelled,
  };
}

function stepReport(result: StepRun['result'], rate: number, slos: Slo[]): StepReport {
  const stats = result.overall;
  const achieved = result.sendWindowMs > 0 ? stats.sent / (result.sendWindowMs / 1000) : 0;
  const subject = sloSubject(stats, rate, achieved);
  const slo = evaluateSlos(slos, subject);
  return {
    rate,
    durationMs: round(result.sendWindowMs, 1),
    achievedRate: round(achieved),
    rateRatio: round(subject.rateRatio, 4),
    errorRate: round(subject.errorRate, 6),
    dropRate: round(subject.dropRate, 6),
    requests: counts(stats),
    latencyMs: summarizeLatency(stats),
    slo,
    passed: slo.every((r) => r.passed),
  };
}

/** One step of a run (the whole of a constant-rate run): what the generator measured, and where it began. */
export interface StepRun {
  rate: number;
  /** Milliseconds from the run's start to this step's start. */
  offsetMs: number;
  result: Pick<GeneratorResult, 'elapsedMs' | 'sendWindowMs' | 'interrupted' | 'overall' | 'seconds'>;
}

/** What ran: the steps in order, and why it ended. A worker's run and the merged run of N workers alike. */
export interface RunOutcome {
  /** Epoch milliseconds of the first scheduled send. */
  startedAt: number;
  steps: StepRun[];
  interrupted: boolean;
  stoppedEarly: boolean;
  /** The generator's event-loop delay while it sent (the worst worker's in a merged run); null if unknown. */
  loopDelayMs: LoopDelay | null;
}

export function planRates(plan: Pick<LoadPlan, 'ramp' | 'rate'>): number[] {
  return plan.ramp ? rampRates(plan.ramp) : [plan.rate];
}

export function planStepDurationMs(plan: Pick<LoadPlan, 'ramp' | 'durationMs'>): number {
  return plan.ramp ? plan.ramp.stepDurationMs : plan.durationMs;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Warms up, then runs the plan's steps back to back. A ramp stops at the first step that breaches
 * plan.slos (workers get none: only the merged run can be judged). With `startAt` the first send
 * waits for the instant it gives, so that workers started apart begin together.
 */
export async function runSteps(
  plan: LoadPlan,
  hooks: Pick<RunHooks, 'signal' | 'onProgress'> & {
    /** Called once warmed up; the first send waits for the instant it gives (epoch ms). */
    startAt?: () => Promise<number>;
    onStart?: (startedAt: number) => void;
    /**
     * About once a second: the run so far, the current step's counters and histogram as they
     * stand (its per-second series only once the step is done). In-cluster workers log it.
     */
    onCheckpoint?: (sofar: RunOutcome) => void;
  } = {},
): Promise<RunOutcome> {
  const rates = planRates(plan);
  const stepDurationMs = planStepDurationMs(plan);
  const steps: StepRun[] = [];
  let offsetMs = 0;
  let interrupted = false;
  let stoppedEarly = false;
  const firstRate = rates[0]!;
  // The JIT first, against a sink of our own: the target sees none of it.
  await warmSendPath(firstRate);
  const client = new HttpClient({ maxConnections: plan.maxInflight, timeoutMs: plan.timeoutMs });
  // At most half a second's worth of the first rate, so a gentle test never opens with a burst.
  // Connections: about what the rate needs at ~2 ms per answer, so the first second does not pay
  // for handshakes either.
  const warmUpRequests = Math.min(WARM_UP_REQUESTS, Math.max(1, Math.ceil(firstRate / 2)));
  const warmUpConnections = Math.min(
    plan.maxInflight,
    warmUpRequests,
    Math.max(WARM_UP_CONNECTIONS, Math.min(64, Math.ceil(firstRate / 500))),
  );
  const warm = await client.warmUp(() => plan.scenario.next(), warmUpConnections, warmUpRequests, 1000);
  // Then every connection the highest rate will keep busy, opened at once (one request each), so
  // that no handshake falls into the measured run.
  const poolSize = poolSizeFor(Math.max(...rates), warm.medianMs ?? 0, plan.maxInflight);
  if (poolSize > warmUpConnections) await client.warmUp(() => plan.scenario.next(), poolSize, poolSize, 1000);
  const startAt = hooks.startAt ? await hooks.startAt() : Date.now();
  if (startAt > Date.now() && !hooks.signal?.aborted) await sleep(startAt - Date.now());
  const startedAt = Date.now();
  hooks.onStart?.(startedAt);
  const loopMonitor = startLoopDelayMonitor();

  for (const [index, rate] of rates.entries()) {
    const label = plan.ramp ? `step ${index + 1}/${rates.length} ${rate} req/s` : `${rate} req/s`;
    const result = await runOpenLoop({
      phases: [{ rate, durationMs: stepDurationMs }],
      source: plan.scenario,
      maxInflight: plan.maxInflight,
      timeoutMs: plan.timeoutMs,
      sendGraceMs: plan.sendGraceMs ?? DEFAULT_SEND_GRACE_MS,
      signal: hooks.signal,
      client,
      onProgress: (elapsed, stats) => {
        hooks.onProgress?.(
          `${label}: ${(elapsed / 1000).toFixed(0)}s/${(stepDurationMs / 1000).toFixed(0)}s sent ${stats.sent} dropped ${stats.dropped} errors ${stats.errors}`,
        );
        const current: StepRun = {
          rate,
          offsetMs,
          result: { overall: stats, seconds: [], sendWindowMs: elapsed, elapsedMs: elapsed, interrupted: true },
        };
        hooks.onCheckpoint?.({ startedAt, steps: [...steps, current], interrupted: true, stoppedEarly: false, loopDelayMs: null });
      },
    });
    steps.push({ rate, result, offsetMs });
    offsetMs += result.elapsedMs;
    if (result.interrupted) {
      interrupted = true;
      break;
    }
    if (plan.ramp && !stepReport(result, rate, plan.slos).passed) {
      // Past the knee: stepping higher would only overload the service further.
      stoppedEarly = index < rates.length - 1;
      hooks.onProgress?.(`${label}: SLO breached, ramp stops here`);
      break;
    }
  }
  const loopDelayMs = loopMonitor.stop();
  await client.close();
  return { startedAt, steps, interrupted, stoppedEarly, loopDelayMs };
}

/** Runs the plan in this process and builds the report. */
export async function executeLoad(plan: LoadPlan, hooks: RunHooks = {}): Promise<LoadReport> {
  const outcome = await runSteps(plan, { ...hooks, onStart: (startedAt) => hooks.watcher?.start(startedAt) });
  const hpa = hooks.watcher ? await hooks.watcher.stop() : null;
  return buildReport(plan, outcome, { hpa, workers: null });
}

/** The report of a run: every step's numbers, the whole run's, the SLO verdict and the knee of a ramp. */
export function buildReport(
  plan: LoadPlan,
  outcome: RunOutcome,
  extras: { hpa: HpaReport | null; workers: LoadReport['workers'] },
): LoadReport {
  const rates = planRates(plan);
  const stepDurationMs = planStepDurationMs(plan);
  const { startedAt, interrupted, stoppedEarly } = outcome;
  const results = outcome.steps;
  const steps = results.map((r) => stepReport(r.result, r.rate, plan.slos));
  const last = results.at(-1);
  const offsetMs = last ? last.offsetMs + last.result.elapsedMs : 0;
  const hpa = extras.hpa;
  // Whole-run numbers: every step's requests together.
  const overall = mergeStats(results.map((r) => r.result.overall));
  const sendWindowMs = results.reduce((sum, r) => sum + r.result.sendWindowMs, 0);
  const targetRate = sendWindowMs > 0 ? results.reduce((sum, r) => sum + r.rate * r.result.sendWindowMs, 0) / sendWindowMs : plan.rate;
  const achievedRate = sendWindowMs > 0 ? overall.sent / (sendWindowMs / 1000) : 0;
  const subject = sloSubject(overall, targetRate, achievedRate);

  const series: LoadReport['series'] = [];
  for (const { rate, result, offsetMs: offset } of results) {
    const base = Math.round(offset / 1000);
    for (const second of result.seconds) {
      const s = second.stats;
      const has = s.histogram.totalCount > 0;
      series.push({
        second: base + second.second,
        targetRate: rate,
        scheduled: s.scheduled,
        sent: s.sent,
        dropped: s.dropped,
        responses: s.responses,
        errors: s.errors,
        p50: has ? round(s.percentileMs(50)) : null,
        p99: has ? round(s.percentileMs(99)) : null,
        max: has ? round(s.histogram.maxValue / 1000) : null,
      });
    }
  }

  let highestPassed: number | null = null;
  for (const step of steps) {
    if (!step.passed) break;
    highestPassed = step.rate;
  }
  // A knee is where the service bends: a passing step followed by a breach. A ramp that never
  // breached found no knee, only a floor for it.
  const breached = steps.some((s) => !s.passed);
  const knee = breached ? highestPassed : null;
  const judgedStep = plan.ramp ? (steps.find((s) => s.rate === highestPassed) ?? steps[0]) : undefined;
  const sloResults = plan.ramp ? (judgedStep?.slo ?? []) : evaluateSlos(plan.slos, subject);
  const sloPassed = plan.ramp ? highestPassed !== null : sloResults.every((r) => r.passed);
  const latencyMs = summarizeLatency(overall);
  const floor = judgeNoiseFloor(outcome.loopDelayMs, latencyMs?.p99 ?? null, sendWindowMs);
  // A worker that died or returned nothing left its share of the schedule unmeasured: the run cannot pass.
  const workerFailed = extras.workers?.list.some((w) => w.state === 'missing' || w.failed) ?? false;

  return {
    version: 1,
    target: { url: plan.targetUrl, scenario: plan.scenario.name, description: plan.scenario.description },
    config: {
      rate: plan.ramp ? null : plan.rate,
      durationMs: plan.ramp ? stepDurationMs * rates.length : plan.durationMs,
      maxInflight: plan.maxInflight,
      timeoutMs: plan.timeoutMs,
      sendGraceMs: plan.sendGraceMs ?? DEFAULT_SEND_GRACE_MS,
      ramp: plan.ramp ?? null,
    },
    startedAt: new Date(startedAt).toISOString(),
    elapsedMs: round(offsetMs, 1),
    interrupted,
    targetRate: round(targetRate),
    achievedRate: round(achievedRate),
    rateRatio: round(subject.rateRatio, 4),
    errorRate: round(subject.errorRate, 6),
    dropRate: round(subject.dropRate, 6),
    requests: counts(overall),
    latencyMs,
    percentiles: percentileCurve(overall),
    statusCodes: Object.fromEntries([...overall.statusCodes].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v])),
    errorsByKind: Object.fromEntries(overall.errorsByKind),
    bytes: { received: overall.bytesIn, sent: overall.bytesOut },
    series,
    slo: { passed: sloPassed, results: sloResults },
    ramp: plan.ramp ? { steps, knee, highestPassed, stoppedEarly } : null,
    hpa,
    workers: extras.workers,
    generator: { loopDelayMs: outcome.loopDelayMs, trusted: floor.trusted, note: floor.note, workersCap: null },
    verdict: sloPassed && !workerFailed ? 'pass' : 'fail',
  };
}
