import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * The generator's own noise floor: how late its event loop ran (GC, a busy machine, report work)
 * while it sent. Latency counts from the scheduled send time, so every such pause shows up in the
 * latency of the requests due during it, as if the target had been slow.
 */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** How often the monitor samples (ms): fine enough to see a pause of a few ms. */
const RESOLUTION_MS = 5;

/** Starts measuring this thread's event-loop delay; `stop` gives the percentiles in milliseconds. */
export function startLoopDelayMonitor(): { stop(): LoopDelay | null } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      if (histogram.count === 0) return null;
      // Node records the time between two firings of a RESOLUTION_MS timer: an idle loop reads
      // RESOLUTION_MS, not 0. The loop's lateness is what lies beyond it.
      const ms = (ns: number): number => Math.round(Math.max(0, ns / 1e6 - RESOLUTION_MS) * 1000) / 1000;
      return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
    },
  };
}

/** Below this the floor is always fine: a target that answers in a few ms is measured well enough. */
export const TRUSTED_FLOOR_MS = 2;

/**
 * The share of the send window one pause must last to reach the p99: every request that falls due
 * during a pause waits for it, so a pause of 1 % of the run delays 1 % of its requests.
 */
const P99_SHARE = 0.01;

/**
 * Whether the reported p99 can be read as the target's. Not when the generator's own event-loop
 * p99 is above TRUSTED_FLOOR_MS and at least half the latency p99 (many pauses: a large part of
 * that p99 may be the generator's). Nor when one pause (the max) was that long and lasted 1 % of
 * the send window or more: a single GC pause of 300 ms in a 5 s run at 5,000 req/s makes a p99 of
 * ~280 ms while the loop's p99 stays at 2 ms.
 */
export function judgeNoiseFloor(
  floor: LoopDelay | null,
  latencyP99Ms: number | null,
  sendWindowMs = 0,
): { trusted: boolean; note: string | null } {
  if (floor === null || latencyP99Ms === null) return { trusted: true, note: null };
  if (floor.p99 > TRUSTED_FLOOR_MS && floor.p99 >= latencyP99Ms / 2) {
    return {
      trusted: false,
      note: `the generator's own event loop ran up to ${floor.p99} ms late (p99; max ${floor.max} ms), against a latency p99 of ${latencyP99Ms} ms: that p99 may be qctl's pauses, not the target's; rerun on a quieter machine or with fewer requests per worker`,
    };
  }
  const longPause = floor.max > TRUSTED_FLOOR_MS && floor.max >= latencyP99Ms / 2 && floor.max >= sendWindowMs * P99_SHARE;
  if (sendWindowMs > 0 && longPause) {
    const seconds = Math.round(sendWindowMs / 100) / 10;
    return {
      trusted: false,
      note: `the generator's own event loop stalled once for ${floor.max} ms, 1 % or more of the ${seconds} s it sent for (so 1 % or more of the requests fell due during that pause), against a latency p99 of ${latencyP99Ms} ms: that p99 may be qctl's pause, not the target's; rerun, or run longer so that one pause weighs less`,
    };
  }
  return { trusted: true, note: null };
}

/** The worst of several workers' floors: a run is only as trustworthy as its noisiest worker. */
export function worstFloor(floors: (LoopDelay | null | undefined)[]): LoopDelay | null {
  const known = floors.filter((f): f is LoopDelay => f !== null && f !== undefined);
  if (known.length === 0) return null;
  return {
    p50: Math.max(...known.map((f) => f.p50)),
    p99: Math.max(...known.map((f) => f.p99)),
    max: Math.max(...known.map((f) => f.max)),
  };
}
