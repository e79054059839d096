import { z } from 'zod';

/**
 * The `--output json` document (version 1). CI scripts can parse it with this schema;
 * times are milliseconds, rates requests per second, error/drop rates fractions (0..1).
 */
const latency = z
  .object({
    min: z.number(),
    mean: z.number(),
    stdev: z.number(),
    p50: z.number(),
    p75: z.number(),
    p90: z.number(),
    p95: z.number(),
    p99: z.number(),
    p999: z.number(),
    max: z.number(),
  })
  .nullable();

const requests = z.object({
  scheduled: z.number().int(),
  sent: z.number().int(),
  dropped: z.number().int(),
  responses: z.number().int(),
  errors: z.number().int(),
  cancelled: z.number().int(),
});

export const sloResultSchema = z.object({
  expression: z.string(),
  name: z.string(),
  operator: z.enum(['<', '<=', '>', '>=']),
  threshold: z.number(),
  unit: z.enum(['ms', 'ratio', 'req/s']),
  measured: z.number().nullable(),
  passed: z.boolean(),
});

export const stepSchema = z.object({
  rate: z.number(),
  durationMs: z.number(),
  achievedRate: z.number(),
  rateRatio: z.number(),
  errorRate: z.number(),
  dropRate: z.number(),
  requests,
  latencyMs: latency,
  slo: z.array(sloResultSchema),
  passed: z.boolean(),
});

export const hpaSampleSchema = z.object({
  /** Milliseconds since the run started. */
  t: z.number(),
  currentReplicas: z.number().int().nullable(),
  desiredReplicas: z.number().int().nullable(),
  readyReplicas: z.number().int().nullable(),
  minReplicas: z.number().int().nullable(),
  maxReplicas: z.number().int().nullable(),
  cpuUtilization: z.number().nullable(),
});

/** One worker of a `--workers N` run: its share of the schedule and what it achieved, so a starved worker shows. */
export const workerSummarySchema = z.object({
  index: z.number().int(),
  /** Its share of the target rate (the time-weighted average over a ramp's steps). */
  targetRate: z.number(),
  achievedRate: z.number(),
  sent: z.number().int(),
  dropped: z.number().int(),
  errors: z.number().int(),
  /** Milliseconds after the shared start instant that it began sending. */
  startOffsetMs: z.number().nullable(),
  /** complete: its final result; partial: its last checkpoint (stopped early); missing: nothing to merge. */
  state: z.enum(['complete', 'partial', 'missing']),
  /** Why it is partial or missing (pod failed, thread died, stopped by Ctrl-C), or null. */
  note: z.string().nullable(),
  /** It died or did not finish on its own (thread crashed, pod failed, deadline): the run fails. */
  failed: z.boolean(),
  /** Its event-loop delay p99 while sending (ms): its own noise floor; null if it did not report one. */
  loopDelayP99Ms: z.number().nullable(),
});

const loopDelaySchema = z.object({ p50: z.number(), p99: z.number(), max: z.number() });

export const loadReportSchema = z.object({
  version: z.literal(1),
  target: z.object({ url: z.string().nullable(), scenario: z.string(), description: z.string() }),
  config: z.object({
    rate: z.number().nullable(),
    durationMs: z.number(),
    maxInflight: z.number().int(),
    timeoutMs: z.number(),
    sendGraceMs: z.number(),
    ramp: z.object({ start: z.number(), end: z.number(), step: z.number(), stepDurationMs: z.number() }).nullable(),
  }),
  startedAt: z.string(),
  elapsedMs: z.number(),
  interrupted: z.boolean(),
  targetRate: z.number(),
  achievedRate: z.number(),
  rateRatio: z.number(),
  errorRate: z.number(),
  dropRate: z.number(),
  requests,
  latencyMs: latency,
  percentiles: z.array(z.object({ percentile: z.number(), ms: z.number() })),
  statusCodes: z.record(z.string(), z.number().int()),
  errorsByKind: z.record(z.string(), z.number().int()),
  bytes: z.object({ received: z.number().int(), sent: z.number().int() }),
  series: z.array(
    z.object({
      second: z.number().int(),
      targetRate: z.number(),
      ...requests.omit({ cancelled: true }).shape,
      p50: z.number().nullable(),
      p99: z.number().nullable(),
      max: z.number().nullable(),
    }),
  ),
  slo: z.object({ passed: z.boolean(), results: z.array(sloResultSchema) }),
  ramp: z
    .object({
      steps: z.array(stepSchema),
      /** The highest rate that met the SLO when a higher step then breached it; null when no step breached (or the first did). */
      knee: z.number().nullable(),
      /** The highest rate that met the SLO (null: the first step breached). */
      highestPassed: z.number().nullable(),
      stoppedEarly: z.boolean(),
    })
    .nullable(),
  hpa: z.object({ namespace: z.string(), name: z.string(), samples: z.array(hpaSampleSchema), error: z.string().nullable() }).nullable(),
  /** The workers of a `--workers N` run (null: one process). Their numbers are already merged into the ones above. */
  workers: z
    .object({
      count: z.number().int(),
      inCluster: z.boolean(),
      job: z.string().nullable(),
      /** Why an in-cluster run ended before every worker finished (Ctrl-C, the deadline, a failed pod), or null. */
      stopped: z.string().nullable(),
      list: z.array(workerSummarySchema),
    })
    .nullable(),
  /**
   * The generator's own noise floor: its event-loop delay while sending (the worst worker's).
   * trusted false: the floor is high against the latency p99, which may then be qctl's pauses.
   */
  generator: z.object({
    loopDelayMs: loopDelaySchema.nullable(),
    trusted: z.boolean(),
    note: z.string().nullable(),
    /**
     * Fewer local threads than `--workers` asked: the target is on this machine (loopback), so
     * threads are capped at half its cores, leaving the other half to the target; null otherwise.
     */
    workersCap: z
      .object({ asked: z.number().int(), used: z.number().int(), cores: z.number().int(), host: z.string(), note: z.string() })
      .nullable(),
  }),
  verdict: z.enum(['pass', 'fail']),
});

export type LoadReport = z.infer<typeof loadReportSchema>;
export type StepReport = z.infer<typeof stepSchema>;
export type HpaSample = z.infer<typeof hpaSampleSchema>;
export type HpaReport = NonNullable<LoadReport['hpa']>;
export type WorkerSummary = z.infer<typeof workerSummarySchema>;
