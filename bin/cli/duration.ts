import { usageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest any duration flag may be unless it names a shorter bound: a day. Node's timers
 * hold at most 2^31-1 ms (24.8 days) and fire at once above that (so `--analysis-interval 600h`
 * would skip every wait), and nothing qctl waits for is meant to take longer than a day.
 */
export const MAX_DURATION_MS = 24 * 3_600_000;

/**
 * Parses durations such as `500ms`, `30s`, `5m` or `1h30m`. A bare number is refused: `5`
 * reads as seconds to some and minutes to others, and a guess would silently run a load test
 * or a wait for the wrong length. `flag` names the option in the error message; a duration
 * above `maxMs` (default a day) is refused with the bound.
 */
export function parseDuration(text: string, flag = 'duration', maxMs = MAX_DURATION_MS): number {
  const trimmed = text.trim();
  const positive = (ms: number): number => {
    if (ms <= 0) throw usageError(`invalid ${flag} "${text}": it must be greater than zero, e.g. 500ms, 30s, 5m`);
    if (ms > maxMs) throw usageError(`invalid ${flag} "${text}": it may be at most ${boundText(maxMs)}`);
    return Math.round(ms);
  };
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    positive(Number(trimmed));
    throw usageError(`invalid ${flag} "${text}": add a unit, e.g. ${trimmed}s for seconds or ${trimmed}m for minutes (units: ms, s, m, h)`);
  }
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw usageError(`invalid ${flag} "${text}": use a number with a unit, e.g. 500ms, 30s, 5m or 1h`);
  }
  return positive(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
}

/** A bound as one would type it: 24h, 1h, 10s, 500ms. */
function boundText(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
}
