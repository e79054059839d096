import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { PROMETHEUS_NAME, PROMETHEUS_PORT } from './names.js';
import type { INamespace } from 'kubernetes-models/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { SynthContext } from '../context.js';
import type { ManifestScope } from '../scope.js';
import { buildExporters, exportersPropsFrom } from './exporters.js';
import { buildGrafana, grafanaPropsFrom } from './grafana.js';
import { buildKubeStateMetrics } from './kube-state-metrics.js';
import { buildOperatorResources, operatorPropsFrom } from './operator.js';
import { monitoringNamespaceOf, monitoringStackPropsFrom, type MonitoringStackProps } from './common.js';
import { inClusterHost, labelsFor } from '../charts/props.js';
import { buildPrometheus, prometheusPropsFrom } from './prometheus.js';
import { resolveMonitoringSettings, type MonitoringSettings } from './settings.js';
import type { MonitoredParts } from './parts.js';

export { resolveMonitoringSettings } from './settings.js';
export type { MonitoredParts } from './parts.js';
export type { MonitoringSettings } from './settings.js';

/**
 * The monitoring stack of one environment, by ctx.monitoring:
 *   self      our Prometheus + kube-state-metrics + Grafana in `monitoring-<env>`, exporters beside the databases
 *   operator  exporters + ServiceMonitors, PrometheusRule and dashboard ConfigMaps for kube-prometheus-stack
 *   none      nothing
 * ctx.env.monitoring (qctl.config.ts / --set) is validated in every mode, so a typo in a
 * threshold fails the synth even while monitoring is switched off.
 */
export function buildMonitoring(scope: ManifestScope, ctx: SynthContext, parts: MonitoredParts): Monitoring {
  return new Monitoring(scope.app, 'monitoring', { files: scope, ctx, parts });
}

/**
 * The monitoring stack as one construct. Its objects live in several deploy phases (RBAC,
 * config, workloads, policies), so it places them in the files of `files` rather than under
 * one chart. Exposes `.mode`, `.namespace` (where our Prometheus and Grafana run, self mode
 * only), `.settings` and `.prometheusUrl` (self mode: the in-cluster query URL).
 */
export class Monitoring extends Construct {
  readonly mode: SynthContext['monitoring'];
  readonly namespace: string | undefined;
  readonly settings: MonitoringSettings;
  readonly prometheusUrl: string | undefined;

  constructor(scope: Construct, id: string, { files, ctx, parts }: { files: ManifestScope; ctx: SynthContext; parts: MonitoredParts }) {
    super(scope, id);
    const settings = monitoringSettings(ctx);
    this.mode = ctx.monitoring;
    this.settings = settings;
    this.namespace = ctx.monitoring === 'self' ? ctx.monitoringNamespace : undefined;
    this.prometheusUrl = this.namespace ? `http://${inClusterHost(PROMETHEUS_NAME, this.namespace)}:${PROMETHEUS_PORT}` : undefined;
    if (ctx.monitoring === 'none') return;
    if (ctx.monitoring === 'operator') {
      buildExporters(files, exportersPropsFrom(ctx, [...ctx.env.networkPolicy.monitoringNamespaces, settings.operator.namespace], parts));
      buildOperatorResources(files, operatorPropsFrom(ctx, settings, parts));
      return;
    }
    buildMonitoringNamespace(files, monitoringStackPropsFrom(ctx));
    buildExporters(files, exportersPropsFrom(ctx, [ctx.monitoringNamespace, ...ctx.env.networkPolicy.monitoringNamespaces], parts));
    buildPrometheus(files, prometheusPropsFrom(ctx, settings));
    buildKubeStateMetrics(files, monitoringStackPropsFrom(ctx));
    buildGrafana(files, grafanaPropsFrom(ctx, settings));
  }
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
