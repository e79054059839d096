import * as hdr from 'hdr-histogram-js';
import type { SloSubject } from './slo.js';

/** How a request failed. HTTP statuses >= 400 are errors too (a broken route must not pass a gate). */
export type ErrorKind = 'timeout' | 'connection_refused' | 'connection_reset' | 'dns' | 'http_4xx' | 'http_5xx' | 'other';

/** Latencies are recorded in microseconds; an hour is the longest we track before auto-resizing. */
const HOUR_US = 3_600_000_000;

export function newHistogram(significantDigits: 2 | 3 = 3): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HOUR_US,
    numberOfSignificantValueDigits: significantDigits,
    autoResize: true,
  });
}

/**
 * Counters and a latency histogram for one slice of a run: the whole run, a ramp step or one second.
 * Requests belong to the slice of their SCHEDULED send time, so late responses are never lost or moved.
 */
export class Stats {
  readonly histogram: hdr.Histogram;
  scheduled = 0;
  sent = 0;
  dropped = 0;
  /** Responses of any status (timeouts and transport errors are not responses). */
  responses = 0;
  errors = 0;
  /** Stopped by Ctrl-C before an answer: neither success nor error. */
  cancelled = 0;
  bytesIn = 0;
  bytesOut = 0;
  readonly statusCodes = new Map<number, number>();
  readonly errorsByKind = new Map<ErrorKind, number>();

  /** A fresh histogram of that precision, or `histogram` itself (a decoded worker's: no copy). */
  constructor(significantDigits: 2 | 3 = 3, histogram?: hdr.Histogram) {
    this.histogram = histogram ?? newHistogram(significantDigits);
  }

  recordResponse(status: number, latencyUs: number, bytesIn: number): void {
    this.responses++;
    this.bytesIn += bytesIn;
    this.statusCodes.set(status, (this.statusCodes.get(status) ?? 0) + 1);
    this.histogram.recordValue(Math.max(1, Math.round(latencyUs)));
    if (status >= 500) this.recordErrorKind('http_5xx');
    else if (status >= 400) this.recordErrorKind('http_4xx');
  }

  /** Timeouts enter the latency histogram at the time they were given up on, so p99 cannot hide them. */
  recordTimeout(latencyUs: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(latencyUs)));
    this.recordErrorKind('timeout');
  }

  recordTransportError(kind: ErrorKind): void {
    this.recordErrorKind(kind);
  }

  private recordErrorKind(kind: ErrorKind): void {
    this.errors++;
    this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + 1);
  }

  /** Requests that got an answer or a definite failure. */
  get finished(): number {
    return this.sent - this.cancelled;
  }

  /**
   * HDR answers a percentile with the upper bound of its bucket, which can lie above the largest
   * value recorded (p99.9 2028.5 ms beside max 2028.1 ms): no percentile is reported above max.
   */
  percentileMs(percentile: number): number {
    return Math.min(this.histogram.getValueAtPercentile(percentile), this.histogram.maxValue) / 1000;
  }

  latencySamples(): number {
    return this.histogram.totalCount;
  }
}

/**
 * Several slices as one (ramp steps into the whole run, workers' seconds into one second); the
 * inputs are left unchanged. The result has the finest precision among them: adding histograms of
 * the same layout is a straight sum of their buckets (exact, and the cheap path of HDR's add).
 */
export function mergeStats(parts: Stats[]): Stats {
  const digits = parts.some((p) => p.histogram.numberOfSignificantValueDigits >= 3) ? 3 : 2;
  const merged = new Stats(digits);
  for (const s of parts) {
    merged.histogram.add(s.histogram);
    merged.scheduled += s.scheduled;
    merged.sent += s.sent;
    merged.dropped += s.dropped;
    merged.responses += s.responses;
    merged.errors += s.errors;
    merged.cancelled += s.cancelled;
    merged.bytesIn += s.bytesIn;
    merged.bytesOut += s.bytesOut;
    for (const [code, n] of s.statusCodes) merged.statusCodes.set(code, (merged.statusCodes.get(code) ?? 0) + n);
    for (const [kind, n] of s.errorsByKind) merged.errorsByKind.set(kind, (merged.errorsByKind.get(kind) ?? 0) + n);
  }
  return merged;
}

export interface LatencySummary {
  min: number;
  mean: number;
  stdev: number;
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

export function summarizeLatency(stats: Stats): LatencySummary | null {
  const h = stats.histogram;
  if (h.totalCount === 0) return null;
  return {
    min: round3(h.minNonZeroValue / 1000),
    mean: round3(h.mean / 1000),
    stdev: round3(h.stdDeviation / 1000),
    p50: round3(stats.percentileMs(50)),
    p75: round3(stats.percentileMs(75)),
    p90: round3(stats.percentileMs(90)),
    p95: round3(stats.percentileMs(95)),
    p99: round3(stats.percentileMs(99)),
    p999: round3(stats.percentileMs(99.9)),
    max: round3(h.maxValue / 1000),
  };
}

/** The percentile curve (HdrHistogram plotter style) for the HTML report. */
export function percentileCurve(stats: Stats): { percentile: number; ms: number }[] {
  if (stats.histogram.totalCount === 0) return [];
  const points = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];
  return points.map((p) => ({ percentile: p, ms: round3(stats.percentileMs(p)) }));
}

export function sloSubject(stats: Stats, targetRate: number, achievedRate: number): SloSubject {
  const finished = stats.finished;
  return {
    percentileMs: (p) => stats.percentileMs(p),
    // A walk over the whole histogram: only an SLO on the mean asks for it.
    get meanMs() {
      return stats.histogram.mean / 1000;
    },
    maxMs: stats.histogram.maxValue / 1000,
    latencySamples: stats.histogram.totalCount,
    errorRate: finished > 0 ? stats.errors / finished : 0,
    dropRate: stats.scheduled > 0 ? stats.dropped / stats.scheduled : 0,
    rateRatio: targetRate > 0 ? achievedRate / targetRate : 0,
    achievedRate,
  };
}

export function errorKindOf(error: unknown): ErrorKind {
  const code = (error as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' ? code : '';
  if (text === 'ECONNREFUSED') return 'connection_refused';
  if (text === 'ECONNRESET' || text === 'EPIPE' || text === 'UND_ERR_SOCKET' || text === 'UND_ERR_CLOSED') {
    return 'connection_reset';
  }
  if (text.includes('TIMEOUT') || text === 'ETIMEDOUT') return 'timeout';
  if (text === 'ENOTFOUND' || text === 'EAI_AGAIN') return 'dns';
  return 'other';
}
