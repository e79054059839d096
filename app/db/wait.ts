import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  signal?: AbortSignal;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Give up after this long (undefined: keep trying until aborted). */
  timeoutMs?: number;
  onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

/**
 * Waits until Postgres answers `SELECT 1`, retrying with capped exponential backoff.
 * A pod that starts before its database should wait (unready), not crash-loop.
 */
export async function waitForDatabase(pool: pg.Pool, options: WaitOptions = {}): Promise<void> {
  const started = Date.now();
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query('SELECT 1');
      return;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      if (options.timeoutMs !== undefined && Date.now() - started + delay > options.timeoutMs) {
        throw new Error(`database not reachable after ${Math.round((Date.now() - started) / 1000)} s: ${(error as Error).message}`);
      }
      options.onRetry?.(attempt, delay, error as Error);
      await sleep(delay, undefined, { signal: options.signal });
      delay = Math.min(options.maxDelayMs ?? 5_000, delay * 2);
    }
  }
}
