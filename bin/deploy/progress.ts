import { formatDuration } from '../cli/duration.js';
import type { OutputMode } from '../cli/output.js';
import { safeForTerminal } from '../cli/safe-text.js';

/**
 * Progress for long commands: listr2 on a TTY (one line per step with its timing), plain lines
 * in CI or when piped, and nothing but the final JSON document with --output json (the steps
 * are recorded and included in it).
 */
export type StepRecord = { title: string; ok: boolean; ms: number; lines: string[] };

export class Progress {
  readonly steps: StepRecord[] = [];
  private readonly kind: 'tty' | 'plain' | 'json';

  constructor(mode: OutputMode, nonInteractive: boolean) {
    this.kind = mode === 'json' ? 'json' : nonInteractive ? 'plain' : 'tty';
  }

  /** An informational line outside any step. */
  info(line: string): void {
    if (this.kind !== 'json') process.stdout.write(`${safeForTerminal(line)}\n`);
  }

  /** `succeeded` tells a result that means failure (an analysis that says abort) from success: shown as FAILED, not ok. */
  async step<T>(
    title: string,
    fn: (log: (line: string) => void) => Promise<T>,
    succeeded: (result: T) => boolean = () => true,
  ): Promise<T> {
    const record: StepRecord = { title, ok: false, ms: 0, lines: [] };
    this.steps.push(record);
    const started = Date.now();
    const finish = (ok: boolean) => {
      record.ok = ok;
      record.ms = Date.now() - started;
    };
    if (this.kind === 'tty') {
      const { Listr, PRESET_TIMER } = await import('listr2');
      let result: T | undefined;
      const list = new Listr(
        [
          {
            title,
            task: async (_ctx, task) => {
              result = await fn((line) => {
                record.lines.push(line);
                task.output = safeForTerminal(line);
              });
              if (!succeeded(result)) throw new StepFailed();
            },
          },
        ],
        { rendererOptions: { timer: PRESET_TIMER, collapseErrors: false }, exitOnError: true },
      );
      try {
        await list.run();
        finish(true);
        return result as T;
      } catch (error) {
        finish(false);
        if (error instanceof StepFailed) return result as T;
        throw error;
      }
    }
    if (this.kind === 'plain') process.stdout.write(`> ${title}\n`);
    try {
      const result = await fn((line) => {
        record.lines.push(line);
        // Step lines quote pods, events and logs: escaped at this one sink (JSON output escapes by itself).
        if (this.kind === 'plain') process.stdout.write(`  ${safeForTerminal(line)}\n`);
      });
      const ok = succeeded(result);
      finish(ok);
      if (this.kind === 'plain') process.stdout.write(`${ok ? 'ok' : 'FAILED'} ${title} (${formatDuration(record.ms)})\n`);
      return result;
    } catch (error) {
      finish(false);
      if (this.kind === 'plain') process.stdout.write(`FAILED ${title} (${formatDuration(record.ms)})\n`);
      throw error;
    }
  }
}

/** Marks a listr2 task failed for a result that means failure (nothing was thrown). */
class StepFailed extends Error {
  constructor() {
    super('failed');
  }
}
