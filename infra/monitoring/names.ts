/**
 * Stable names, ports and pinned images of the monitoring stack. Dashboards, alert rules,
 * NetworkPolicies and tests all read these, so a rename happens in one place.
 */
/** The namespace of the self-hosted stack is per environment: SynthContext.monitoringNamespace (monitoring-<env>). */
export const PART_OF = 'quotes';
export const MANAGED_BY = 'qctl';

/** The app namespaces are `quotes-<env>` (brief contract); rules match all of them. */
export const APP_NAMESPACE_REGEX = 'quotes-.+';
export const API_NAME = 'quote-api';
export const API_CONTAINER = 'quote-api';

export const PROMETHEUS_NAME = 'prometheus';
export const PROMETHEUS_PORT = 9090;
export const GRAFANA_NAME = 'grafana';
export const GRAFANA_PORT = 3000;
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
export const POSTGRES_EXPORTER_NAME = 'postgres-exporter';
export const POSTGRES_EXPORTER_PORT = 9187;
export const REDIS_EXPORTER_NAME = 'redis-exporter';
export const REDIS_EXPORTER_PORT = 9121;
export const KUBE_STATE_METRICS_NAME = 'kube-state-metrics';
export const KUBE_STATE_METRICS_PORT = 8080;

/** The provisioned datasource uid; dashboards default their `datasource` variable to it. */
export const PROMETHEUS_DATASOURCE_UID = 'prometheus';

/**
 * Pinned images (never `latest`). The exporter metric-name fixtures in
 * tests/fixtures/exporter-metrics/ were captured from Debian's builds of the same exporters;
 * the dashboards and rules use only long-stable metric names present in both.
 */
export const IMAGES = {
  prometheus: 'quay.io/prometheus/prometheus:v2.55.1',
  grafana: 'docker.io/grafana/grafana:12.2.0',
  postgresExporter: 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1',
  redisExporter: 'docker.io/oliver006/redis_exporter:v1.74.0',
  kubeStateMetrics: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0',
} as const;
