import {
  API_CONTAINER,
  API_NAME,
  APP_NAMESPACE_REGEX,
  KUBE_STATE_METRICS_NAME,
  POSTGRES_EXPORTER_NAME,
  REDIS_EXPORTER_NAME,
} from './names.js';
import type { AlertThresholds } from './settings.js';

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning' };
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertingRule[];
}

/** The rule file (the `spec` of a PrometheusRule has the same shape). */
export interface RuleFile {
  groups: RuleGroup[];
}

const api = `app="${API_NAME}"`;
const percent = (ratio: number): string => `${+(ratio * 100).toPrecision(6)}%`;

/**
 * Alert rules for the quote stack. Thresholds come from settings (qctl.config.ts); annotations
 * use only `$labels` so they tell the on-call where to look, and the synthesized threshold
 * says what was crossed. Each rule has a `promtool test rules` case that fires above its
 * threshold and one that stays quiet below it (tests/monitoring/alert-rules.test.ts).
 */
export function buildAlertRules(thresholds: AlertThresholds): RuleFile {
  const t = thresholds;
  return {
    groups: [
      {
        name: 'quote-api',
        rules: [
          {
            alert: 'QuoteApiHighErrorRatio',
            expr: `sum by (namespace) (rate(http_requests_total{${api},status=~"5.."}[5m])) / sum by (namespace) (rate(http_requests_total{${api}}[5m])) > ${t.errorRatio}`,
            for: '5m',
            labels: { severity: 'critical' },
            annotations: {
              summary: `More than ${percent(t.errorRatio)} of quote API requests in {{ $labels.namespace }} fail with 5xx`,
              description:
                `For 5 minutes more than ${percent(t.errorRatio)} of requests answered 5xx. Check the API dashboard (errors by route), ` +
                'the API logs (kubectl -n {{ $labels.namespace }} logs deploy/quote-api), and whether Postgres or the embeddings provider is failing.',
            },
          },
          {
            alert: 'QuoteApiHighLatencyP99',
            expr: `histogram_quantile(0.99, sum by (namespace, le) (rate(http_request_duration_seconds_bucket{${api}}[5m]))) > ${t.latencyP99Seconds}`,
            for: '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: `Quote API p99 latency in {{ $labels.namespace }} is above ${t.latencyP99Seconds * 1000} ms`,
              description:
                `For 10 minutes the 99th percentile of request duration exceeded ${t.latencyP99Seconds} s. Check latency by route, ` +
                'the DB pool (waiting connections), embedding latency, the cache hit ratio, and whether the HPA is at its maximum.',
            },
          },
          {
            alert: 'QuoteApiPodRestarting',
            expr: `increase(kube_pod_container_status_restarts_total{namespace=~"${APP_NAMESPACE_REGEX}",container="${API_CONTAINER}"}[15m]) > ${t.restartsPer15m}`,
            for: '0m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Quote API pod {{ $labels.namespace }}/{{ $labels.pod }} is restarting',
              description:
                `More than ${t.restartsPer15m} container restarts in 15 minutes. Check kubectl -n {{ $labels.namespace }} describe pod {{ $labels.pod }} ` +
                '(OOMKilled? failed liveness probe?) and the previous logs (kubectl logs --previous).',
            },
          },
          {
            alert: 'QuoteApiNoReadyReplica',
            expr: `kube_deployment_status_replicas_available{namespace=~"${APP_NAMESPACE_REGEX}",deployment="${API_NAME}"} < 1`,
            for: '2m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'Quote API in {{ $labels.namespace }} has no ready replica',
              description:
                'No quote-api pod has passed its readiness probe (/readyz) for 2 minutes: the service is down. Check ' +
                'kubectl -n {{ $labels.namespace }} get pods, the pod events (ImagePullBackOff, CrashLoopBackOff, unschedulable) and whether Postgres is reachable.',
            },
          },
          {
            alert: 'QuoteApiHpaAtMaxReplicas',
            expr:
              `kube_horizontalpodautoscaler_status_current_replicas{namespace=~"${APP_NAMESPACE_REGEX}",horizontalpodautoscaler="${API_NAME}"} ` +
              `>= on (namespace, horizontalpodautoscaler) kube_horizontalpodautoscaler_spec_max_replicas{namespace=~"${APP_NAMESPACE_REGEX}",horizontalpodautoscaler="${API_NAME}"}`,
            for: '15m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Quote API autoscaler in {{ $labels.namespace }} has been at its maximum for 15 minutes',
              description:
                'The HPA cannot add replicas; latency and errors will rise with more load. Check the API dashboard (rate, CPU), ' +
                'raise the HPA maximum (hpa.maxReplicas in qctl.config.ts) or find what made requests more expensive.',
            },
          },
          {
            alert: 'QuoteEmbeddingErrorsRising',
            expr:
              `sum by (namespace) (rate(quotes_embedding_requests_total{${api},outcome="error"}[10m])) / ` +
              `sum by (namespace) (rate(quotes_embedding_requests_total{${api}}[10m])) > ${t.embeddingErrorRatio}`,
            for: '10m',
            labels: { severity: 'warning' },
            annotations: {
              summary: `More than ${percent(t.embeddingErrorRatio)} of embedding requests in {{ $labels.namespace }} fail`,
              description:
                'Searches and new quotes need embeddings. Check the provider status, the API key (quote-api-secrets), rate limits (429s in the API logs) ' +
                'and network egress to the embeddings API.',
            },
          },
        ],
      },
      {
        name: 'quote-dependencies',
        rules: [
          {
            alert: 'PostgresDown',
            expr: `pg_up{app="${POSTGRES_EXPORTER_NAME}"} == 0`,
            for: '1m',
            labels: { severity: 'critical' },
            annotations: {
              summary: 'Postgres in {{ $labels.namespace }} is not answering',
              description:
                'postgres_exporter cannot connect to Postgres; the API cannot serve quotes. Check kubectl -n {{ $labels.namespace }} get pods -l app.kubernetes.io/name=postgres, ' +
                'its logs, the PVC (full disk?) and the postgres-credentials Secret.',
            },
          },
          {
            alert: 'RedisDown',
            expr: `redis_up{app="${REDIS_EXPORTER_NAME}"} == 0`,
            for: '1m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Redis in {{ $labels.namespace }} is not answering',
              description:
                'redis_exporter cannot reach Redis. The API keeps serving without its cache, but searches get slower and embedding costs rise. ' +
                'Check kubectl -n {{ $labels.namespace }} get pods -l app.kubernetes.io/name=redis, its logs and the redis-credentials Secret.',
            },
          },
          {
            alert: 'MonitoringTargetDown',
            expr: `up{app=~"${[API_NAME, POSTGRES_EXPORTER_NAME, REDIS_EXPORTER_NAME, KUBE_STATE_METRICS_NAME].join('|')}"} == 0`,
            for: '5m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'Prometheus cannot scrape {{ $labels.app }} ({{ $labels.namespace }}/{{ $labels.pod }})',
              description:
                'A target has been failing scrapes for 5 minutes, so its dashboards and alerts are blind. Check the pod, its metrics port and ' +
                'the NetworkPolicies that let the monitoring namespace reach it.',
            },
          },
        ],
      },
    ],
  };
}

export function allAlertingRules(file: RuleFile): AlertingRule[] {
  return file.groups.flatMap((group) => group.rules);
}
