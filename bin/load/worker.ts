import { DEFAULT_SEND_GRACE_MS, planRates, planStepDurationMs, runSteps, type LoadPlan, type Ramp } from './run.js';
import { scenarioFromSource, type ScenarioSource } from './scenario.js';
import { workerResult, type WorkerResult } from './worker-result.js';

/**
 * Everything one worker needs, as plain data: a thread gets it as workerData, a pod of the
 * in-cluster Job as the QCTL_LOAD_WORKER environment variable (and its index from the Job).
 * Rates, ramp and in-flight cap are the whole run's; each worker takes its 1/count share.
 */
export interface WorkerSpec {
  index: number;
  count: number;
  source: ScenarioSource;
  rate: number;
  durationMs: number;
  ramp: Ramp | null;
  maxInflight: number;
  timeoutMs: number;
  sendGraceMs: number;
  /** The shared start instant, epoch milliseconds: every worker's first send is due then (threads get it when all are ready). */
  startAt: number;
}

/** This worker's share of the plan: 1/count of every rate and of the in-flight cap. */
export function workerShare(spec: WorkerSpec): Omit<LoadPlan, 'scenario' | 'targetUrl'> {
  const share = (rate: number): number => rate / spec.count;
  return {
    rate: share(spec.rate),
    durationMs: spec.durationMs,
    ramp: spec.ramp ? { ...spec.ramp, start: share(spec.ramp.start), end: share(spec.ramp.end), step: share(spec.ramp.step) } : undefined,
    maxInflight: Math.max(1, Math.ceil(spec.maxInflight / spec.count)),
    timeoutMs: spec.timeoutMs,
    sendGraceMs: spec.sendGraceMs,
    // Only the merged run is judged (and a ramp runs every step): no worker stops on its own.
    slos: [],
  };
}

/**
 * Runs one worker's share and returns its result document. The first send waits for the shared
 * start instant: spec.startAt, or the one `ready` answers once this worker has warmed up (the
 * threads' barrier: they start together however long each took to load). `onCheckpoint` gets
 * the result so far about once a second (without per-second series, to keep it small).
 */
export async function runWorker(
  spec: WorkerSpec,
  hooks: { signal?: AbortSignal; ready?: () => Promise<number>; onCheckpoint?: (sofar: WorkerResult) => void } = {},
): Promise<WorkerResult> {
  const scenario = await scenarioFromSource(spec.source);
  let startAt = spec.startAt;
  const { ready, onCheckpoint } = hooks;
  const outcome = await runSteps(
    { ...workerShare(spec), scenario, targetUrl: null },
    {
      signal: hooks.signal,
      startAt: async () => (startAt = ready ? await ready() : spec.startAt),
      onCheckpoint: onCheckpoint ? (sofar) => onCheckpoint(workerResult(spec.index, spec.count, startAt, sofar, false)) : undefined,
    },
  );
  return workerResult(spec.index, spec.count, startAt, outcome);
}

/** The part of every worker's spec that comes from the plan. */
export function workerSpecBase(plan: LoadPlan, source: ScenarioSource): Omit<WorkerSpec, 'index' | 'count' | 'startAt'> {
  return {
    source,
    rate: plan.rate,
    durationMs: plan.durationMs,
    ramp: plan.ramp ?? null,
    maxInflight: plan.maxInflight,
    timeoutMs: plan.timeoutMs,
    sendGraceMs: plan.sendGraceMs ?? DEFAULT_SEND_GRACE_MS,
  };
}

/** How long the plan sends for: its duration, or every step of its ramp. */
export function plannedMs(plan: LoadPlan): number {
  return planStepDurationMs(plan) * planRates(plan).length;
}
