import { KUBE_STATE_METRICS_NAME, PART_OF, PROMETHEUS_PORT } from './names.js';
import type { MonitoringSettings } from './settings.js';

/** The subset of prometheus.yml we generate, typed so a typo is a compile error. */
export interface RelabelConfig {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
  action?: 'replace' | 'keep' | 'drop' | 'labelmap' | 'labeldrop' | 'labelkeep';
}

export interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  honor_labels?: boolean;
  metrics_path?: string;
  kubernetes_sd_configs?: { role: 'pod' | 'endpoints' | 'service' | 'node'; namespaces?: { names: string[] } }[];
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  relabel_configs?: RelabelConfig[];
}

export interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string; external_labels?: Record<string, string> };
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

export const RULES_DIR = '/etc/prometheus/rules';

/**
 * Pods opt in with the annotations `prometheus.io/scrape: "true"`, `prometheus.io/port` and
 * `prometheus.io/path`, and must belong to our stack (`app.kubernetes.io/part-of: quotes`).
 * Series keep `namespace`, `pod`, `app` (app.kubernetes.io/name), `component` and `env`
 * (qctl.dev/env): dashboards and alert rules select on `app`, aggregate by `namespace`.
 * Exported so the test can scrape a real API through exactly these rules.
 */
export function podScrapeRelabelling(): RelabelConfig[] {
  return [
    { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], regex: 'true', action: 'keep' },
    { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_part_of'], regex: PART_OF, action: 'keep' },
    // Finished Job pods and pods not yet scheduled have nothing to scrape.
    { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed', action: 'drop' },
    { source_labels: ['__meta_kubernetes_pod_container_init'], regex: 'true', action: 'drop' },
    {
      source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'],
      regex: '(.+)',
      target_label: '__metrics_path__',
      action: 'replace',
    },
    // One target per pod at the annotated port, whichever container port discovery started from.
    {
      source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
      regex: '([^:]+)(?::\\d+)?;(\\d+)',
      replacement: '$1:$2',
      target_label: '__address__',
      action: 'replace',
    },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace', action: 'replace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod', action: 'replace' },
    { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], target_label: 'app', action: 'replace' },
    { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'], target_label: 'component', action: 'replace' },
    { source_labels: ['__meta_kubernetes_pod_label_qctl_dev_env'], target_label: 'env', action: 'replace' },
  ];
}

/**
 * `namespaces`: the environment's app and monitoring namespaces; pods are discovered in those
 * only, so two environments on one cluster do not scrape each other. Without it, everywhere.
 */
export function buildPrometheusConfig(
  settings: Pick<MonitoringSettings, 'scrapeInterval' | 'evaluationInterval'>,
  cluster?: string,
  namespaces: { app: string; monitoring: string } = { app: '', monitoring: 'monitoring' },
): PrometheusConfig {
  const scoped = namespaces.app ? { namespaces: { names: [namespaces.app, namespaces.monitoring] } } : {};
  return {
    global: {
      scrape_interval: settings.scrapeInterval,
      evaluation_interval: settings.evaluationInterval,
      ...(cluster ? { external_labels: { cluster } } : {}),
    },
    rule_files: [`${RULES_DIR}/*.yaml`],
    scrape_configs: [
      {
        job_name: 'prometheus',
        static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`], labels: { app: 'prometheus', namespace: namespaces.monitoring } }],
      },
      { job_name: 'kubernetes-pods', kubernetes_sd_configs: [{ role: 'pod', ...scoped }], relabel_configs: podScrapeRelabelling() },
      {
        // kube-state-metrics reports about other objects: its `namespace`/`pod` labels name
        // those objects, so they must win over the scrape target's (honor_labels).
        job_name: KUBE_STATE_METRICS_NAME,
        honor_labels: true,
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [namespaces.monitoring] } }],
        relabel_configs: [
          { source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], regex: KUBE_STATE_METRICS_NAME, action: 'keep' },
          { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'http-metrics', action: 'keep' },
          { target_label: 'app', replacement: KUBE_STATE_METRICS_NAME, action: 'replace' },
        ],
      },
    ],
  };
}
