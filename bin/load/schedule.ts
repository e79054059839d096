/** A stretch of the run at one constant rate (a plain run has one phase, a ramp one per step). */
export interface Phase {
  rate: number;
  durationMs: number;
}

/** One phase laid out on the run's clock: when it starts and how many sends it holds. */
export interface PlannedPhase {
  index: number;
  rate: number;
  durationMs: number;
  startMs: number;
  count: number;
  intervalMs: number;
}

/**
 * The open-loop schedule, apart from any clock or timer: send i of a phase is due at
 * phaseStart + i / rate, whatever happened to earlier sends. The generator asks it, at each timer
 * tick, for every send that has fallen due by then (one tick sends them all, however many), and
 * when the next one falls due (to set the next timer). Kept pure so that a test can walk it with
 * any sequence of clock readings.
 */
export class Schedule {
  readonly phases: PlannedPhase[];
  /** From the start of the first phase to the end of the last, ms. */
  readonly plannedEndMs: number;
  private phaseIndex = 0;
  private slot = 0;

  constructor(phases: Phase[]) {
    let offset = 0;
    this.phases = phases.map((phase, index) => {
      const planned: PlannedPhase = {
        index,
        rate: phase.rate,
        durationMs: phase.durationMs,
        startMs: offset,
        count: Math.max(1, Math.round((phase.rate * phase.durationMs) / 1000)),
        intervalMs: 1000 / phase.rate,
      };
      offset += phase.durationMs;
      return planned;
    });
    this.plannedEndMs = offset;
  }

  /** Every send is handed out. */
  get done(): boolean {
    return this.phaseIndex >= this.phases.length;
  }

  /**
   * Hands every send due at or before `nowMs` to `send` (its phase and due time), in order, and
   * returns how many. A clock that jumps (a late timer, a paused process) gets the whole backlog
   * at once, each send with its own due time, so its lateness is counted, never skipped.
   */
  takeDue(nowMs: number, send: (phase: PlannedPhase, dueMs: number) => void): number {
    let sent = 0;
    while (this.phaseIndex < this.phases.length) {
      const phase = this.phases[this.phaseIndex]!;
      if (this.slot >= phase.count) {
        this.phaseIndex++;
        this.slot = 0;
        continue;
      }
      const dueMs = phase.startMs + this.slot * phase.intervalMs;
      if (dueMs > nowMs) break;
      this.slot++;
      sent++;
      send(phase, dueMs);
    }
    return sent;
  }

  /** When the next send falls due (run clock, ms), or null once every send is handed out. */
  nextDueMs(): number | null {
    while (this.phaseIndex < this.phases.length) {
      const phase = this.phases[this.phaseIndex]!;
      if (this.slot < phase.count) return phase.startMs + this.slot * phase.intervalMs;
      this.phaseIndex++;
      this.slot = 0;
    }
    return null;
  }

  /** The phase of the next send (the last phase once done): for progress lines. */
  get currentPhase(): PlannedPhase {
    return this.phases[Math.min(this.phaseIndex, this.phases.length - 1)]!;
  }
}
