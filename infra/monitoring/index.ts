import { ApiObject } from 'cdk8s';
import type { INamespace } from 'kubernetes-models/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { SynthContext } from '../context.js';
import type { ManifestScope } from '../scope.js';
import { buildExporters, exportersPropsFrom } from './exporters.js';
import { buildGrafana, grafanaPropsFrom } from './grafana.js';
import { buildKubeStateMetrics } from './kube-state-metrics.js';
import { buildOperatorResources, operatorPropsFrom } from './operator.js';
import { monitoringNamespaceOf, monitoringStackPropsFrom, type MonitoringStackProps } from './common.js';
import { labelsFor } from '../charts/props.js';
import { buildPrometheus, prometheusPropsFrom } from './prometheus.js';
import { resolveMonitoringSettings, type MonitoringSettings } from './settings.js';

export { resolveMonitoringSettings } from './settings.js';
export type { MonitoringSettings } from './settings.js';

/**
 * The monitoring stack of one environment, by ctx.monitoring:
 *   self      our Prometheus + kube-state-metrics + Grafana in `monitoring-<env>`, exporters beside the databases
 *   operator  exporters + ServiceMonitors, PrometheusRule and dashboard ConfigMaps for kube-prometheus-stack
 *   none      nothing
 * ctx.env.monitoring (qctl.config.ts / --set) is validated in every mode, so a typo in a
 * threshold fails the synth even while monitoring is switched off.
 */
export function buildMonitoring(scope: ManifestScope, ctx: SynthContext): void {
  const settings = monitoringSettings(ctx);
  if (ctx.monitoring === 'none') return;
  if (ctx.monitoring === 'operator') {
    buildExporters(scope, exportersPropsFrom(ctx, [...ctx.env.networkPolicy.monitoringNamespaces, settings.operator.namespace]));
    buildOperatorResources(scope, operatorPropsFrom(ctx, settings));
    return;
  }
  buildMonitoringNamespace(scope, monitoringStackPropsFrom(ctx));
  buildExporters(scope, exportersPropsFrom(ctx, [ctx.monitoringNamespace, ...ctx.env.networkPolicy.monitoringNamespaces]));
  buildPrometheus(scope, prometheusPropsFrom(ctx, settings));
  buildKubeStateMetrics(scope, monitoringStackPropsFrom(ctx));
  buildGrafana(scope, grafanaPropsFrom(ctx, settings));
}

export function monitoringSettings(ctx: SynthContext): MonitoringSettings {
  return resolveMonitoringSettings({ env: ctx.env.name, cluster: ctx.cluster.name, config: ctx.env.monitoring });
}

export function buildMonitoringNamespace(scope: ManifestScope, props: MonitoringStackProps): void {
  const monitoringNamespace = monitoringNamespaceOf(props);
  const chart = scope.file('60-monitoring-namespace.yaml');
  const namespace: INamespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: monitoringNamespace,
      labels: {
        ...labelsFor(props, monitoringNamespace, 'monitoring'),
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  };
  new ApiObject(chart, 'monitoring-namespace', namespace);
  // Deny by default; each workload's own policy opens exactly what it needs.
  const denyAll: INetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny', namespace: monitoringNamespace, labels: labelsFor(props, 'default-deny', 'monitoring') },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
  new ApiObject(scope.file('67-monitoring-network-policies.yaml'), 'monitoring-default-deny', denyAll);
}
