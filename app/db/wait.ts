import type pg from 'pg';

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
      await abortableSleep(delay, options.signal);
      delay = Math.min(options.maxDelayMs ?? 5_000, delay * 2);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
