import { z } from 'zod';
import { InfraUsageError } from '../errors.js';
import { parsePrometheusDuration } from './prometheus-flags.js';

/**
 * Monitoring settings: per-environment defaults, overridden by `monitoring.*` in qctl.config.ts
 * (defaults / environments.<env>) and `--set monitoring.<key>=value`. The mode itself
 * (`--monitoring self|operator|none`) is resolved by infra/main.ts. Everything is validated here, at synth time, with
 * one line that names the setting and the fix: a bad value never reaches the cluster.
 */

export interface AlertThresholds {
  /** Share of API requests answered 5xx (0.01 = 1%) over 5 m that pages. */
  errorRatio: number;
  /** API p99 latency in seconds, sustained for 10 m. */
  latencyP99Seconds: number;
  /** API container restarts within 15 m above which the alert fires. */
  restartsPer15m: number;
  /** Share of embedding requests that failed over 10 m. */
  embeddingErrorRatio: number;
}

export interface MonitoringSettings {
  /** Prometheus `--storage.tsdb.retention.time`. */
  retention: string;
  /** PersistentVolumeClaim size for the TSDB. */
  storageSize: string;
  storageClassName?: string;
  scrapeInterval: string;
  evaluationInterval: string;
  alerts: AlertThresholds;
  operator: {
    /** Value of the `release` label kube-prometheus-stack selects ServiceMonitors/PrometheusRules on. */
    release: string;
    /** Namespace kube-prometheus-stack runs in: its Grafana sidecar loads dashboards from there, its Prometheus scrapes from there. */
    namespace: string;
  };
  grafana: {
    /** Emit an Ingress for Grafana (host `grafana.<api host>` unless `host` is given). */
    ingress: boolean;
    host?: string;
  };
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  errorRatio: 0.01,
  latencyP99Seconds: 0.5,
  restartsPer15m: 2,
  embeddingErrorRatio: 0.05,
};

const ENVIRONMENT_DEFAULTS: Record<string, Pick<MonitoringSettings, 'retention' | 'storageSize' | 'scrapeInterval'>> = {
  dev: { retention: '2d', storageSize: '2Gi', scrapeInterval: '30s' },
  staging: { retention: '7d', storageSize: '10Gi', scrapeInterval: '15s' },
  prod: { retention: '15d', storageSize: '50Gi', scrapeInterval: '15s' },
};

/**
 * kube-prometheus-stack selects on `release: <helm release name>`. microk8s' `observability`
 * addon installs it as release `kube-prom-stack` in namespace `observability`.
 */
export function defaultOperatorSettings(cluster?: string): MonitoringSettings['operator'] {
  return cluster === 'microk8s'
    ? { release: 'kube-prom-stack', namespace: 'observability' }
    : { release: 'kube-prometheus-stack', namespace: 'monitoring' };
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const duration = (what: string) =>
  z.string({ error: 'must be a string such as "15d"' }).superRefine((value, ctx) => {
    const parsed = parsePrometheusDuration(value);
    if (!parsed.ok)
      ctx.addIssue({
        code: 'custom',
        message: `Prometheus would reject ${JSON.stringify(value)} (${parsed.reason}); write integers with units y, w, d, h, m, s, ms in that order, e.g. "15d" or "1d12h"`,
      });
    else if (parsed.ms === 0)
      ctx.addIssue({ code: 'custom', message: `${what} must be longer than 0 (Prometheus reads 0 as "use the default")` });
  });

const threshold = (example: number, max?: number) =>
  z
    .number({ error: (issue) => `must be a number such as ${example}, got ${JSON.stringify(issue.input)}` })
    .refine((n) => Number.isFinite(n) && n > 0, { message: 'must be a positive number' })
    .refine((n) => max === undefined || n <= max, { message: `must be at most ${max} (a ratio: ${example} means ${example * 100}%)` });

/** The `monitoring` section of qctl.config.ts (every key optional). */
export const monitoringUserConfigSchema = z
  .strictObject({
    retention: duration('retention').optional(),
    storageSize: z.string().regex(QUANTITY, 'must be a Kubernetes quantity such as "20Gi"').optional(),
    storageClassName: z.string().regex(DNS_LABEL, 'must be a storage class name').optional(),
    scrapeInterval: duration('scrapeInterval').optional(),
    evaluationInterval: duration('evaluationInterval').optional(),
    alerts: z
      .strictObject({
        errorRatio: threshold(0.01, 1).optional(),
        latencyP99Seconds: threshold(0.5).optional(),
        restartsPer15m: threshold(2).optional(),
        embeddingErrorRatio: threshold(0.05, 1).optional(),
      })
      .optional(),
    operator: z
      .strictObject({
        release: z.string().min(1).regex(LABEL_VALUE, 'must be a valid label value').optional(),
        namespace: z.string().regex(DNS_LABEL, 'must be a namespace name').optional(),
      })
      .optional(),
    grafana: z
      .strictObject({
        ingress: z.boolean().optional(),
        host: z.string().regex(HOST, 'must be a host name such as grafana.example.com').optional(),
      })
      .optional(),
  })
  .optional();

export type MonitoringUserConfig = z.input<typeof monitoringUserConfigSchema>;

export interface ResolveMonitoringOptions {
  env: string;
  cluster?: string;
  /** The environment's `monitoring` settings (qctl.config.ts + --set), unvalidated. */
  config?: unknown;
}

/** Validates the environment's monitoring settings over the defaults; throws InfraUsageError (exit 2). */
export function resolveMonitoringSettings(options: ResolveMonitoringOptions): MonitoringSettings {
  const parsed = monitoringUserConfigSchema.safeParse(options.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['monitoring', ...issue.path.map(String)].join('.');
    const message = issue.message.replace(/^Unrecognized keys?:/, 'unknown key');
    throw new InfraUsageError(`${path} for environment ${options.env}: ${message} (set in qctl.config.ts or --set)`);
  }
  const user = parsed.data ?? {};
  const defaults = ENVIRONMENT_DEFAULTS[options.env] ?? ENVIRONMENT_DEFAULTS.staging;
  const operator = defaultOperatorSettings(options.cluster);
  const scrapeInterval = user.scrapeInterval ?? defaults.scrapeInterval;
  return {
    retention: user.retention ?? defaults.retention,
    storageSize: user.storageSize ?? defaults.storageSize,
    ...(user.storageClassName ? { storageClassName: user.storageClassName } : {}),
    scrapeInterval,
    evaluationInterval: user.evaluationInterval ?? scrapeInterval,
    alerts: { ...DEFAULT_ALERT_THRESHOLDS, ...user.alerts },
    operator: { ...operator, ...user.operator },
    grafana: { ingress: user.grafana?.ingress ?? true, ...(user.grafana?.host ? { host: user.grafana.host } : {}) },
  };
}
