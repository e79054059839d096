import { setTimeout as sleepFor } from 'node:timers/promises';
import { formatDuration } from '../cli/duration.js';
import type { VersionNumbers, Window } from './version-metrics.js';

/**
 * The canary analysis: at every interval, the canary's numbers against the limits and against
 * the stable version's, then one of: wait (not enough traffic yet), pass (count it; enough
 * passes finish the step) or fail (abort). No traffic past the grace period is a failure too:
 * a canary nobody can measure is not promoted.
 */
export type Thresholds = {
  /** Highest share of 5xx answers, 0..1. */
  maxErrorRatio: number;
  /** Highest p99 latency in milliseconds. */
  maxP99Ms: number;
  /** Highest canary p99 as a multiple of the stable p99 (when the stable served enough requests); null: not compared. */
  maxP99Ratio: number | null;
  /** User requests the canary must serve within one check's window before its numbers count. */
  minRequests: number;
};

export type AnalysisPolicy = {
  intervalMs: number;
  /** How long a step may go without enough canary requests before the canary is aborted. */
  graceMs: number;
  /** Passing checks that finish a step. */
  checks: number;
};

export type Verdict = { outcome: 'pass' | 'fail' | 'wait'; reason: string };

export type Numbers = { canary: VersionNumbers; stable: VersionNumbers };

export type Decision = {
  at: string;
  /** 1-based step of the ladder and its canary weight (percent). */
  step: number;
  steps: number;
  weight: number;
  check: number;
  outcome: Verdict['outcome'];
  /** What follows: another check, the next step, promotion or abort. */
  action: 'check again' | 'next step' | 'promote' | 'abort';
  reason: string;
  /** The span of time this check judged: user requests answered in (start, end]. */
  window: { start: string; end: string };
  numbers?: Numbers;
};

const percent = (ratio: number) => `${(ratio * 100).toFixed(2)}%`;
const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)}ms` : 'beyond the last bucket');

export function judge(numbers: Numbers, t: Thresholds): Verdict {
  const { canary, stable } = numbers;
  if (canary.requests < t.minRequests || canary.errorRatio === null) {
    return {
      outcome: 'wait',
      reason: `canary served ${Math.round(canary.requests)} user requests in the window, fewer than ${t.minRequests}`,
    };
  }
  if (canary.errorRatio > t.maxErrorRatio) {
    return { outcome: 'fail', reason: `canary error ratio ${percent(canary.errorRatio)} is above ${percent(t.maxErrorRatio)}` };
  }
  if (canary.p99Ms === null) return { outcome: 'wait', reason: 'no latency histogram for the canary yet' };
  if (canary.p99Ms > t.maxP99Ms) return { outcome: 'fail', reason: `canary p99 ${ms(canary.p99Ms)} is above ${ms(t.maxP99Ms)}` };
  if (t.maxP99Ratio !== null && stable.requests >= t.minRequests && stable.p99Ms !== null && stable.p99Ms > 0) {
    const limit = stable.p99Ms * t.maxP99Ratio;
    if (canary.p99Ms > limit) {
      return {
        outcome: 'fail',
        reason: `canary p99 ${ms(canary.p99Ms)} is above ${t.maxP99Ratio}x the stable p99 ${ms(stable.p99Ms)} (${ms(limit)})`,
      };
    }
  }
  return { outcome: 'pass', reason: 'within every limit' };
}

export type StepInput = {
  step: number;
  steps: number;
  weight: number;
  /** When the step's weight took effect (Unix ms): the first check's window starts there. */
  startedMs: number;
  measure: (window: Window) => Promise<Numbers>;
  thresholds: Thresholds;
  policy: AnalysisPolicy;
  onDecision: (decision: Decision) => void;
  /** Injected by tests of the timing; real time otherwise. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
};

/**
 * Runs the checks of one step of the ladder until it passes (true) or fails (false). Each check
 * judges the window since the previous one (the first: since the weight took effect), so no
 * two checks share a request and a check never looks back into the previous step.
 */
export async function analyseStep(input: StepInput): Promise<boolean> {
  const sleep = input.sleep ?? ((delay: number) => sleepFor(delay));
  const now = input.now ?? Date.now;
  const started = input.startedMs;
  let windowStart = started;
  let passes = 0;
  const last = input.step === input.steps;
  for (let check = 1; ; check++) {
    await sleep(Math.max(0, windowStart + input.policy.intervalMs - now()));
    const window: Window = { startMs: windowStart, endMs: Math.max(now(), windowStart + 2) };
    windowStart = window.endMs;
    let numbers: Numbers | undefined;
    let verdict: Verdict;
    try {
      numbers = await input.measure(window);
      verdict = judge(numbers, input.thresholds);
    } catch (error) {
      // Prometheus unreachable counts as missing data: the grace period decides.
      verdict = { outcome: 'wait', reason: error instanceof Error ? error.message : String(error) };
    }
    let action: Decision['action'] = 'check again';
    let reason = verdict.reason;
    if (verdict.outcome === 'fail') action = 'abort';
    else if (verdict.outcome === 'pass') {
      passes++;
      if (passes >= input.policy.checks) action = last ? 'promote' : 'next step';
      else reason = `${reason} (${passes}/${input.policy.checks} passing checks)`;
    } else if (window.endMs - started >= input.policy.graceMs) {
      action = 'abort';
      reason = `no usable canary data within the grace period of ${formatDuration(input.policy.graceMs)}: ${verdict.reason}`;
    }
    input.onDecision({
      at: new Date(now()).toISOString(),
      step: input.step,
      steps: input.steps,
      weight: input.weight,
      check,
      outcome: verdict.outcome,
      action,
      reason,
      window: { start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString() },
      ...(numbers ? { numbers } : {}),
    });
    if (action === 'abort') return false;
    if (action !== 'check again') return true;
  }
}

function describeVersion(name: string, v: VersionNumbers): string {
  const errors = v.errorRatio === null ? 'no requests' : `${percent(v.errorRatio)} 5xx (${Math.round(v.errors)}/${Math.round(v.requests)})`;
  return `${name} ${errors}, p99 ${v.p99Ms === null ? '-' : ms(v.p99Ms)}`;
}

/** `12:00:01.123` of an ISO time: the window is minutes long at most, the date is in the report. */
const clock = (iso: string) => iso.slice(11, 23);

/** One line per decision: the routes and the window judged, the verdict, and the numbers behind it. */
export function formatDecision(d: Decision): string {
  const span = Date.parse(d.window.end) - Date.parse(d.window.start);
  const judged = `user requests ${clock(d.window.start)}-${clock(d.window.end)} UTC (${formatDuration(span)})`;
  const head = `step ${d.step}/${d.steps} (canary ${d.weight}%) check ${d.check}, ${judged}: ${d.outcome} -> ${d.action}: ${d.reason}`;
  if (!d.numbers) return head;
  return `${head} [${describeVersion('canary', d.numbers.canary)}; ${describeVersion('stable', d.numbers.stable)}]`;
}
