import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { HttpClient, type RequestSpec } from './client.js';
import { ResponseLog } from './response-log.js';
import { Schedule, type Phase, type PlannedPhase } from './schedule.js';
import { Stats, errorKindOf, mergeStats } from './stats.js';

export type { Phase } from './schedule.js';

/**
 * The generator's only contact with time: a monotonic clock in ms and a one-shot timer. Real runs
 * use performance.now and setTimeout; a test injects a clock it moves by hand.
 */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RequestSource {
  next(): RequestSpec;
}

export interface GeneratorOptions {
  phases: Phase[];
  source: RequestSource;
  maxInflight: number;
  timeoutMs: number;
  /**
   * How late a request may still go out when it falls due while `maxInflight` requests are out:
   * it waits for a free slot this long (its latency still counts from its due time), then it is dropped.
   */
  sendGraceMs: number;
  /** Aborting stops the schedule; in-flight requests are cancelled and the result covers what ran. */
  signal?: AbortSignal;
  /** Called about once a second with the elapsed time, for progress lines. */
  onProgress?: (elapsedMs: number, phase: Stats) => void;
  /** A client kept across runs (ramp steps reuse warm connections); created and closed here if absent. */
  client?: HttpClient;
  /** Defaults to the real clock. */
  clock?: Clock;
}

export interface PhaseResult {
  rate: number;
  plannedDurationMs: number;
  /** The time the phase's requests were sent over (planned length, longer if sending fell behind). */
  sendWindowMs: number;
  stats: Stats;
}

export interface SecondResult {
  second: number;
  targetRate: number;
  stats: Stats;
}

export interface GeneratorResult {
  startedAt: Date;
  /** From the first scheduled send to the last answer (or cancellation). */
  elapsedMs: number;
  sendWindowMs: number;
  interrupted: boolean;
  overall: Stats;
  phases: PhaseResult[];
  seconds: SecondResult[];
}

interface PhaseState extends PhaseResult {
  planned: PlannedPhase;
  /** Sends due from here on are the phase's tail, where sustained lateness is measured. */
  tailFromMs: number;
  /** The smallest send delay in the tail: how far behind schedule sending still was at the end. */
  tailLagMs: number;
}

class TimeoutError extends Error {
  readonly code = 'QCTL_TIMEOUT';
}

/** Where an in-flight request reports its end: the run that sent it. */
interface RunSink {
  answered(request: InFlight): void;
  failed(request: InFlight, error: Error): void;
  cancelled(request: InFlight): void;
}

/**
 * One request on the wire, and undici's handler for it. Declared once for every run (warm-up,
 * ramp steps, bench probes in one process), so that undici's calls into it keep seeing one hidden
 * class and stay monomorphic; a class declared per run would be a new shape each time.
 */
class InFlight implements Dispatcher.DispatchHandlers {
  status = 0;
  bytes = 0;
  finished = false;
  abort: ((error?: Error) => void) | undefined = undefined;
  constructor(
    readonly run: RunSink,
    readonly dueMs: number,
    readonly phase: PhaseState,
    readonly second: number,
  ) {}
  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
  }
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }
  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }
  onComplete(): void {
    if (this.finished) return;
    this.finished = true;
    this.run.answered(this);
  }
  onError(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.run.failed(this, error);
  }
  timeOut(): void {
    if (this.finished) return;
    const abort = this.abort;
    // Record first, then abort: the abort's onError must find the request already finished.
    this.onError(Object.assign(new TimeoutError('request timed out'), { code: 'QCTL_TIMEOUT' }));
    abort?.(new TimeoutError('request timed out'));
  }
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.run.cancelled(this);
    this.abort?.(new Error('cancelled'));
  }
}

/** Keeps the scheduler awake often enough to enforce timeouts and report progress promptly. */
const MAX_SLEEP_MS = 20;

/** Answers logged between two folds into the histograms (a fold also runs whenever the log fills). */
const RESPONSE_LOG_CAPACITY = 8192;

/**
 * Open-loop load: request i of a phase is due at phaseStart + i/rate whatever happened to earlier
 * requests. Latency is measured from that due time, so a stalled server shows up in the latency of
 * every request that was due during the stall (no coordinated omission). A request that falls due
 * while the in-flight cap is reached waits up to `sendGraceMs` for a free slot, then counts as
 * dropped; the schedule itself never slows down.
 *
 * One timer drives it: each tick sends every request due by then (see Schedule), then folds the
 * answers that came in since the last tick into the histograms, then sleeps until the next due
 * time. The response path only writes numbers into a preallocated log (ResponseLog).
 */
export function runOpenLoop(options: GeneratorOptions): Promise<GeneratorResult> {
  const { source, maxInflight, timeoutMs, sendGraceMs } = options;
  const clock = options.clock ?? realClock;
  const ownClient = options.client === undefined;
  const client = options.client ?? new HttpClient({ maxConnections: maxInflight, timeoutMs });
  const seconds: SecondResult[] = [];
  const schedule = new Schedule(options.phases);
  const phases: PhaseState[] = schedule.phases.map((planned) => ({
    planned,
    rate: planned.rate,
    plannedDurationMs: planned.durationMs,
    sendWindowMs: 0,
    stats: new Stats(3),
    tailFromMs: planned.startMs + planned.durationMs - Math.min(1000, planned.durationMs / 10),
    tailLagMs: Infinity,
  }));
  const plannedEndMs = schedule.plannedEndMs;

  const startedAt = new Date();
  const t0 = clock.now();
  const now = (): number => clock.now() - t0;

  let inflight = 0;
  let stopped = false;
  let interrupted = false;
  let scheduleDoneAt = -1;
  let timer: unknown;
  let lastProgress = 0;
  // Requests in flight in due-time order: deadlines are monotonic, so timeouts sweep from the head.
  let queue: InFlight[] = [];
  let head = 0;
  // Requests due while the cap was reached, oldest first, each waiting up to sendGraceMs for a slot.
  let waiting: Waiting[] = [];
  let waitingHead = 0;

  let finish: (result: GeneratorResult) => void = () => undefined;
  const done = new Promise<GeneratorResult>((resolve) => {
    finish = resolve;
  });

  /** The per-second slice of a due time, created (with any seconds skipped before it) on first use. */
  const secondIndexFor = (dueMs: number, rate: number): number => {
    const index = Math.floor(dueMs / 1000);
    for (let i = seconds.length; i <= index; i++) seconds.push({ second: i, targetRate: rate, stats: new Stats(2) });
    return index;
  };

  const record = (phase: number, second: number, status: number, latencyUs: number, bytes: number): void => {
    phases[phase]!.stats.recordResponse(status, latencyUs, bytes);
    seconds[second]!.stats.recordResponse(status, latencyUs, bytes);
  };
  const answers = new ResponseLog(RESPONSE_LOG_CAPACITY, () => answers.drain(record));
  const fold = (): void => answers.drain(record);

  const run: RunSink = {
    answered(request) {
      inflight--;
      answers.push(request.phase.planned.index, request.second, request.status, (now() - request.dueMs) * 1000, request.bytes);
      settle();
      queueCatchUp();
    },
    failed(request, error) {
      inflight--;
      const second = seconds[request.second]!.stats;
      const kind = errorKindOf(error);
      if (kind === 'timeout') {
        const latencyUs = (now() - request.dueMs) * 1000;
        request.phase.stats.recordTimeout(latencyUs);
        second.recordTimeout(latencyUs);
      } else {
        request.phase.stats.recordTransportError(kind);
        second.recordTransportError(kind);
      }
      settle();
      queueCatchUp();
    },
    cancelled(request) {
      inflight--;
      request.phase.stats.cancelled++;
      seconds[request.second]!.stats.cancelled++;
    },
  };

  interface Waiting {
    dueMs: number;
    /** When the generator found it due with no free slot: the grace runs from here, so the
     * generator's own pauses (GC, a busy machine) show up as latency, never as drops. */
    blockedAt: number;
    phase: PhaseState;
    second: number;
  }

  let tickAt = 0;
  const due = (planned: PlannedPhase, dueMs: number): void => {
    const phase = phases[planned.index]!;
    const second = secondIndexFor(dueMs, phase.rate);
    phase.stats.scheduled++;
    seconds[second]!.stats.scheduled++;
    if (inflight < maxInflight && waitingHead === waiting.length) send(phase, dueMs, second, tickAt);
    else if (sendGraceMs === 0) drop({ dueMs, blockedAt: tickAt, phase, second });
    else waiting.push({ dueMs, blockedAt: tickAt, phase, second });
  };

  const drop = (entry: Waiting): void => {
    entry.phase.stats.dropped++;
    seconds[entry.second]!.stats.dropped++;
  };

  /** Sends waiting requests while slots are free; drops those that waited past the grace. */
  const drainWaiting = (at: number): void => {
    while (waitingHead < waiting.length) {
      const entry = waiting[waitingHead]!;
      const expired = at - entry.blockedAt > sendGraceMs;
      if (!expired && inflight >= maxInflight) break;
      // Taken off the queue before sending: a send that fails at once re-enters this loop.
      waiting[waitingHead++] = undefined as unknown as Waiting;
      if (expired) drop(entry);
      else send(entry.phase, entry.dueMs, entry.second, at);
    }
    if (waitingHead === waiting.length) {
      waiting = [];
      waitingHead = 0;
    }
  };

  const send = (phase: PhaseState, dueMs: number, secondIndex: number, at: number): void => {
    if (dueMs >= phase.tailFromMs && at - dueMs < phase.tailLagMs) phase.tailLagMs = at - dueMs;
    const spec = source.next();
    const request = new InFlight(run, dueMs, phase, secondIndex);
    const second = seconds[secondIndex]!.stats;
    inflight++;
    phase.stats.sent++;
    second.sent++;
    if (spec.body !== undefined) {
      const length = typeof spec.body === 'string' ? Buffer.byteLength(spec.body) : spec.body.length;
      phase.stats.bytesOut += length;
      second.bytesOut += length;
    }
    queue.push(request);
    try {
      client.dispatch(spec, request);
    } catch (error) {
      request.onError(error as Error);
    }
  };

  const sweep = (at: number): void => {
    while (head < queue.length) {
      const request = queue[head]!;
      if (request.finished) {
        head++;
        continue;
      }
      if (at - request.dueMs < timeoutMs) break;
      request.timeOut();
      head++;
    }
    // Finished requests are let go of as soon as the sweep passes them, so that they die young
    // (held longer, they would be promoted and cost full GCs).
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head > 4096 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  };

  // An answer wakes the loop between two timer ticks (a 1 ms timer fires 1-2 ms after it is set):
  // the sends that fell due meanwhile go out on that wake-up instead of waiting for the timer, so
  // less of qctl's own lateness enters the latency, at no extra wake-up. Once per wake-up, after
  // the I/O callback has returned (undici is done with the connection by then).
  let catchUpQueued = false;
  const catchUp = (): void => {
    catchUpQueued = false;
    if (stopped || scheduleDoneAt >= 0) return;
    schedule.takeDue((tickAt = now()), due);
  };
  const queueCatchUp = (): void => {
    if (catchUpQueued) return;
    catchUpQueued = true;
    process.nextTick(catchUp);
  };

  const settle = (): void => {
    if (stopped) return;
    if (waitingHead < waiting.length) drainWaiting(now());
    if (scheduleDoneAt >= 0 && inflight === 0 && waitingHead === waiting.length) end();
  };

  const end = (): void => {
    stopped = true;
    if (timer !== undefined) clock.clearTimer(timer);
    timer = undefined;
    options.signal?.removeEventListener('abort', onAbort);
    for (let i = waitingHead; i < waiting.length; i++) drop(waiting[i]!);
    waiting = [];
    waitingHead = 0;
    fold();
    const elapsedMs = now();
    for (const phase of phases) {
      if (phase.stats.scheduled === 0) continue;
      // The window a phase's requests went out in: the planned length, plus how far behind schedule
      // sending still was at the end. The smallest delay over the tail is used, so a generator that
      // cannot keep up is charged in full while one late send after a momentary pause is not.
      const planned = interrupted
        ? Math.min(phase.plannedDurationMs, Math.max(0, (scheduleDoneAt >= 0 ? scheduleDoneAt : elapsedMs) - phase.planned.startMs))
        : phase.plannedDurationMs;
      const lag = interrupted || !Number.isFinite(phase.tailLagMs) ? 0 : phase.tailLagMs;
      phase.sendWindowMs = Math.max(planned + lag, phase.planned.intervalMs);
    }
    const used = phases.filter((p) => p.stats.scheduled > 0);
    // Each request was recorded once, in its phase; the whole run is the phases together.
    const overall = used.length === 1 ? used[0]!.stats : mergeStats(used.map((p) => p.stats));
    const result: GeneratorResult = {
      startedAt,
      elapsedMs,
      sendWindowMs: used.reduce((sum, p) => sum + p.sendWindowMs, 0),
      interrupted,
      overall,
      phases: used.map(({ rate, plannedDurationMs, sendWindowMs, stats }) => ({ rate, plannedDurationMs, sendWindowMs, stats })),
      seconds: seconds.filter((s) => s.stats.scheduled > 0 || s.second * 1000 < elapsedMs),
    };
    if (ownClient) void client.close().then(() => finish(result));
    else finish(result);
  };

  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    const at = (tickAt = now());
    // Sending first: everything due goes out before any bookkeeping.
    schedule.takeDue(at, due);
    sweep(at);
    drainWaiting(at);
    fold();
    if (options.onProgress && at - lastProgress >= 1000) {
      lastProgress = at;
      options.onProgress(at, phases[schedule.currentPhase.index]!.stats);
    }
    let wakeIn = MAX_SLEEP_MS;
    const next = schedule.nextDueMs();
    if (next !== null) {
      wakeIn = Math.min(wakeIn, next - now());
    } else if (scheduleDoneAt < 0) {
      // Every request is out; the schedule still runs to its planned end so the rate stays honest.
      if (at >= plannedEndMs) {
        scheduleDoneAt = at;
        settle();
        if (stopped) return;
      } else {
        wakeIn = Math.min(wakeIn, plannedEndMs - at);
      }
    }
    timer = clock.setTimer(tick, Math.max(0, wakeIn));
  };

  const onAbort = (): void => {
    if (stopped) return;
    interrupted = true;
    if (scheduleDoneAt < 0) scheduleDoneAt = now();
    for (let i = head; i < queue.length; i++) queue[i]!.cancel();
    end();
  };

  if (options.signal?.aborted) {
    interrupted = true;
    scheduleDoneAt = 0;
    end();
  } else {
    options.signal?.addEventListener('abort', onAbort, { once: true });
    tick();
  }
  return done;
}
