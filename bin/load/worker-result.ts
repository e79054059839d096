import * as hdr from 'hdr-histogram-js';
import { z } from 'zod';
import { counts, type RunOutcome } from './run.js';
import { Stats, type ErrorKind } from './stats.js';

/**
 * What one worker sends back: a thread posts it, a pod of the in-cluster Job prints it as one
 * JSON line on stdout. Counters travel as numbers and latency as the HDR histogram itself
 * (HdrHistogram's compressed base64 encoding), so the coordinator merges them exactly: no
 * percentile is ever averaged.
 */
const countSchema = z.number().int().nonnegative();

const statsSchema = z.object({
  scheduled: countSchema,
  sent: countSchema,
  dropped: countSchema,
  responses: countSchema,
  errors: countSchema,
  cancelled: countSchema,
  bytesIn: countSchema,
  bytesOut: countSchema,
  statusCodes: z.record(z.string(), countSchema),
  errorsByKind: z.record(z.string(), countSchema),
  /** HdrHistogram compressed base64 of the latencies, in microseconds. */
  histogram: z.string(),
});

const stepSchema = z.object({
  rate: z.number(),
  offsetMs: z.number(),
  elapsedMs: z.number(),
  sendWindowMs: z.number(),
  interrupted: z.boolean(),
  overall: statsSchema,
  seconds: z.array(z.object({ second: z.number().int(), targetRate: z.number(), stats: statsSchema })),
});

/** The marker key that makes a log line a worker result (pods log other lines too). */
export const WORKER_RESULT_KEY = 'qctlLoadWorker';

export const workerResultSchema = z.object({
  [WORKER_RESULT_KEY]: z.literal(1),
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  /** Epoch milliseconds of its first scheduled send. */
  startedAt: z.number(),
  /** How long after the shared start instant it began sending (late pods show here). */
  startOffsetMs: z.number(),
  interrupted: z.boolean(),
  steps: z.array(stepSchema),
  /** Its event-loop delay while sending, ms (absent from checkpoints and older workers). */
  loopDelayMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).nullable().optional(),
});

export type WorkerResult = z.infer<typeof workerResultSchema>;
type StatsJson = z.infer<typeof statsSchema>;

export function statsToJson(stats: Stats): StatsJson {
  return {
    ...counts(stats),
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
    statusCodes: Object.fromEntries(stats.statusCodes),
    errorsByKind: Object.fromEntries(stats.errorsByKind),
    histogram: hdr.encodeIntoCompressedBase64(stats.histogram),
  };
}

export function statsFromJson(json: StatsJson): Stats {
  // The decoded histogram is used as it is: same precision as the worker's, no copy.
  const decoded = hdr.decodeFromCompressedBase64(json.histogram);
  decoded.autoResize = true;
  const stats = new Stats(3, decoded);
  stats.scheduled = json.scheduled;
  stats.sent = json.sent;
  stats.dropped = json.dropped;
  stats.responses = json.responses;
  stats.errors = json.errors;
  stats.cancelled = json.cancelled;
  stats.bytesIn = json.bytesIn;
  stats.bytesOut = json.bytesOut;
  for (const [code, n] of Object.entries(json.statusCodes)) stats.statusCodes.set(Number(code), n);
  for (const [kind, n] of Object.entries(json.errorsByKind)) stats.errorsByKind.set(kind as ErrorKind, n);
  return stats;
}

/** A worker's run as its result document; `withSeconds` false leaves out the per-second series (checkpoints). */
export function workerResult(index: number, count: number, startAt: number, outcome: RunOutcome, withSeconds = true): WorkerResult {
  return {
    [WORKER_RESULT_KEY]: 1,
    index,
    count,
    startedAt: outcome.startedAt,
    startOffsetMs: Math.max(0, outcome.startedAt - startAt),
    interrupted: outcome.interrupted,
    loopDelayMs: outcome.loopDelayMs,
    steps: outcome.steps.map(({ rate, offsetMs, result }) => ({
      rate,
      offsetMs,
      elapsedMs: result.elapsedMs,
      sendWindowMs: result.sendWindowMs,
      interrupted: result.interrupted,
      overall: statsToJson(result.overall),
      seconds: (withSeconds ? result.seconds : []).map((s) => ({
        second: s.second,
        targetRate: s.targetRate,
        stats: statsToJson(s.stats),
      })),
    })),
  };
}

/**
 * The worker result in a pod's log: the last line that parses as one. Other lines (Node's
 * warnings, progress on stderr) are skipped; a log without a result gives undefined.
 */
export function findWorkerResult(log: string): WorkerResult | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{') || !line.includes(WORKER_RESULT_KEY)) continue;
    try {
      const parsed = workerResultSchema.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch {
      // A line cut short (the pod was killed while writing): look further up.
    }
  }
  return undefined;
}
