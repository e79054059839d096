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
 * Whether the reported p99 can be read as the target's: not when the generator's own event-loop
 * p99 is above TRUSTED_FLOOR_MS and at least half the latency p99 (then a large part of that p99
 * may be the generator's pauses, not the target's answers).
 */
export function judgeNoiseFloor(floor: LoopDelay | null, latencyP99Ms: number | null): { trusted: boolean; note: string | null } {
  if (floor === null || latencyP99Ms === null) return { trusted: true, note: null };
  if (floor.p99 <= TRUSTED_FLOOR_MS || floor.p99 < latencyP99Ms / 2) return { trusted: true, note: null };
  return {
    trusted: false,
    note: `the generator's own event loop ran up to ${floor.p99} ms late (p99; max ${floor.max} ms), against a latency p99 of ${latencyP99Ms} ms: that p99 may be qctl's pauses, not the target's; rerun on a quieter machine or with fewer requests per worker`,
  };
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
