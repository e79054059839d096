/**
 * Validation of values that end up as Prometheus command-line flags, mirroring what
 * Prometheus itself accepts, so a bad value fails at synth time instead of as a
 * CrashLoopBackOff in the cluster. tests/monitoring/settings.test.ts checks the mirror
 * against the real `prometheus` binary.
 */

// github.com/prometheus/common/model.ParseDuration: units in this order, each at most once, integers only.
const DURATION = /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;
const UNIT_MS: ReadonlyArray<[number, number]> = [
  [2, 365 * 24 * 3600 * 1000],
  [4, 7 * 24 * 3600 * 1000],
  [6, 24 * 3600 * 1000],
  [8, 3600 * 1000],
  [10, 60 * 1000],
  [12, 1000],
  [14, 1],
];
// Prometheus stores durations as int64 nanoseconds.
const MAX_MS = Number(2n ** 63n / 1_000_000n);

/** Milliseconds for a Prometheus duration string, or an explanation of why Prometheus would reject it. */
export function parsePrometheusDuration(value: string): { ok: true; ms: number } | { ok: false; reason: string } {
  if (value === '0') return { ok: true, ms: 0 };
  if (value === '') return { ok: false, reason: 'empty duration string' };
  const match = DURATION.exec(value);
  if (!match) return { ok: false, reason: `not a valid duration string: "${value}"` };
  let ms = 0;
  for (const [group, unit] of UNIT_MS) {
    if (match[group] !== undefined) ms += Number(match[group]) * unit;
  }
  if (ms > MAX_MS) return { ok: false, reason: `duration out of range: "${value}"` };
  return { ok: true, ms };
}
