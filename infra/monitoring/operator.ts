import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IConfigMap } from 'kubernetes-models/v1';
import { API_PORT } from '../charts/app-config.js';
import type { SynthContext } from '../context.js';
import { labelsFor, selectorFor, stackPropsFrom, type StackProps } from '../charts/props.js';
import { networkPolicy } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { buildDashboards, dashboardJson } from '../dashboards/index.js';
import { buildAlertRules } from './alert-rules.js';
import { namespacePeers, tcp } from './common.js';
import { CNPG_CLUSTER_NAME, CNPG_POOLER_NAME, PGBOUNCER_NAME } from '../charts/database.js';
import { API_NAME, POSTGRES_EXPORTER_NAME, REDIS_EXPORTER_NAME } from './names.js';
import type { Labels } from '../labels.js';
import type { MonitoredParts, ScrapedService } from './parts.js';
import type { MonitoringSettings } from './settings.js';

export const OPERATOR_FILE = '68-monitoring-operator.yaml';
/** The same target labels as our own scrape job, so rules and dashboards work unchanged. */
const TARGET_RELABELINGS = [
  { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'], targetLabel: 'app', action: 'replace' as const },
  { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'], targetLabel: 'component', action: 'replace' as const },
  { sourceLabels: ['__meta_kubernetes_pod_label_qctl_dev_env'], targetLabel: 'env', action: 'replace' as const },
];
/** kube-prometheus-stack's Grafana sidecar loads ConfigMaps with this label (value "1"). */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';

export interface OperatorProps extends StackProps {
  /** kube-prometheus-stack's release label and namespace, the scrape interval and the alert thresholds. */
  settings: Pick<MonitoringSettings, 'operator' | 'scrapeInterval' | 'alerts'>;
  /** Redis runs (a ServiceMonitor for its exporter). @default true */
  redis?: boolean;
  /** Our PgBouncer runs (a ServiceMonitor for its exporter sidecar): true for the `pgbouncer` Service, or the pooler's own. @default false */
  pgbouncer?: boolean | ScrapedService;
  /** A CloudNativePG Cluster runs: PodMonitors select its instances' pods and, with `pooler`, its Pooler's. @default unset */
  cnpg?: MonitoredParts['cnpg'];
  /** The API's pods and their metrics port. @default the quote-api pods on 8080 */
  api?: MonitoredParts['api'];
}

export function operatorPropsFrom(ctx: SynthContext, settings: MonitoringSettings, parts: MonitoredParts): OperatorProps {
  return {
    ...stackPropsFrom(ctx),
    settings,
    redis: parts.redis !== undefined,
    pgbouncer: parts.pgbouncer ?? false,
    ...(parts.cnpg ? { cnpg: parts.cnpg } : {}),
    api: parts.api,
  };
}

/**
 * `--monitoring operator`: for clusters that run kube-prometheus-stack (or microk8s'
 * `observability` addon, which installs it). Instead of our own Prometheus and Grafana:
 * ServiceMonitors for the API and the exporters, a PrometheusRule with the same alerts, and
 * the dashboards as ConfigMaps for Grafana's sidecar. The operator only picks up objects
 * carrying its `release` label; without it nothing is scraped and nothing says why.
 */
export function buildOperatorResources(scope: ManifestScope, props: OperatorProps): void {
  const { settings, namespace } = props;
  const chart = scope.file(OPERATOR_FILE);
  const release = { release: settings.operator.release };

  const own = (name: string): ScrapedService => ({ serviceName: name, selector: selectorFor(props, name) });
  const api = props.api ?? { ...own(API_NAME), containerPort: API_PORT };
  const targets: Array<ScrapedService & { port: string; component: string }> = [
    { ...api, port: 'http', component: 'api' },
    { ...own(POSTGRES_EXPORTER_NAME), port: 'metrics', component: 'metrics' },
  ];
  if (props.redis ?? true) targets.push({ ...own(REDIS_EXPORTER_NAME), port: 'metrics', component: 'metrics' });
  if (props.pgbouncer) {
    targets.push({ ...(props.pgbouncer === true ? own(PGBOUNCER_NAME) : props.pgbouncer), port: 'metrics', component: 'pooler' });
  }
  for (const target of targets) {
    const monitor: IServiceMonitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: {
        name: target.serviceName,
        namespace: namespace,
        labels: { ...labelsFor(props, target.serviceName, target.component), ...release },
      },
      spec: {
        selector: { matchLabels: target.selector },
        namespaceSelector: { matchNames: [namespace] },
        endpoints: [
          {
            port: target.port,
            path: '/metrics',
            interval: settings.scrapeInterval,
            relabelings: TARGET_RELABELINGS,
          },
        ],
      },
    };
    new ApiObject(chart, `servicemonitor-${target.serviceName}`, monitor);
  }
  if (props.cnpg) buildCnpgPodMonitors(chart, props, props.cnpg);

  const rule: IPrometheusRule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'quotes-alerts', namespace: namespace, labels: { ...labelsFor(props, 'quotes-alerts', 'monitoring'), ...release } },
    spec: buildAlertRules(settings.alerts) as IPrometheusRule['spec'],
  };
  new ApiObject(chart, 'prometheusrule', rule);

  for (const file of buildDashboards()) {
    const name = `qctl-dashboard-${file.fileName.replace(/\.json$/, '')}`;
    const map: IConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: settings.operator.namespace,
        labels: { ...labelsFor(props, name, 'dashboard'), [GRAFANA_DASHBOARD_LABEL]: '1' },
        // The sidecar puts dashboards in this folder when folderAnnotation is configured.
        annotations: { grafana_folder: 'Quotes' },
      },
      data: { [file.fileName]: dashboardJson(file.dashboard) },
    };
    new ApiObject(chart, name, map);
  }

  // The operator's Prometheus scrapes from its own namespace: admit it to the API's metrics port
  // (infra's policy admits networkPolicy.monitoringNamespaces; this one needs no setting).
  const admit = networkPolicy(
    { name: `${API_NAME}-from-operator-prometheus`, namespace: namespace, labels: labelsFor(props, API_NAME, 'api') },
    { matchLabels: api.selector },
    { ingress: [{ from: namespacePeers([settings.operator.namespace]), ports: tcp(api.containerPort) }] },
  );
  new ApiObject(chart, 'api-from-operator-netpol', admit);
}

/**
 * CloudNativePG's instances and Pooler serve their own metrics (port `metrics`); the operator
 * no longer creates PodMonitors itself (deprecated), so these select its pods by its labels.
 * `app` comes from our labels on them (the Cluster's inheritedMetadata, the Pooler's template).
 */
function buildCnpgPodMonitors(chart: Construct, props: OperatorProps, cnpg: NonNullable<OperatorProps['cnpg']>): void {
  const targets: Array<{ name: string; selector: Labels; component: string }> = [
    { name: CNPG_CLUSTER_NAME, selector: cnpg.selector, component: 'database' },
  ];
  if (cnpg.pooler) targets.push({ name: CNPG_POOLER_NAME, selector: cnpg.pooler.selector, component: 'pooler' });
  for (const target of targets) {
    new ApiObject(chart, `podmonitor-${target.name}`, {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: {
        name: target.name,
        namespace: props.namespace,
        labels: { ...labelsFor(props, target.name, target.component), release: props.settings.operator.release },
      },
      spec: {
        selector: { matchLabels: target.selector },
        namespaceSelector: { matchNames: [props.namespace] },
        podMetricsEndpoints: [{ port: 'metrics', interval: props.settings.scrapeInterval, relabelings: TARGET_RELABELINGS }],
      },
    });
  }
}
