import type { INetworkPolicyEgressRule, INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';
import { ApiObject, type Chart } from 'cdk8s';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IClusterRole, IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import type { IPodTemplateSpec, IProbe } from 'kubernetes-models/v1';
import type { Labels } from '../labels.js';
import { monitoringNamespaceFor, type SynthContext } from '../context.js';
import { stackPropsFrom, type StackProps } from '../charts/props.js';

/** Building blocks shared by the monitoring objects. */

/** Where the monitoring builders put things: `namespace` is the app's, the stack's own objects go to `monitoringNamespace`. */
export interface MonitoringStackProps extends StackProps {
  /** Namespace of the self-hosted stack (Prometheus, Grafana, kube-state-metrics). @default `monitoring-<env>` */
  monitoringNamespace?: string;
}

export function monitoringStackPropsFrom(ctx: SynthContext): Required<MonitoringStackProps> {
  return { ...stackPropsFrom(ctx), monitoringNamespace: ctx.monitoringNamespace };
}

export function monitoringNamespaceOf(props: MonitoringStackProps): string {
  return props.monitoringNamespace ?? monitoringNamespaceFor(props.env);
}

/** uid of `nobody`, which the Prometheus, exporter and kube-state-metrics images run as. */
export const NOBODY_UID = 65534;
/** uid/gid of the `grafana` user in the official image. */
export const GRAFANA_UID = 472;

export const PROMETHEUS_SCRAPE_ANNOTATIONS = (port: number): Record<string, string> => ({
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(port),
  'prometheus.io/path': '/metrics',
});

/**
 * ClusterRole `qctl-<name>-<env>` with `rules`, bound to the ServiceAccount `name` of the
 * environment's monitoring namespace (cluster-scoped names carry the env, so environments
 * sharing a cluster do not overwrite each other's).
 */
export function addClusterRole(
  chart: Chart,
  props: MonitoringStackProps,
  id: string,
  name: string,
  labels: Labels,
  rules: NonNullable<IClusterRole['rules']>,
): void {
  const roleName = `qctl-${name}-${props.env}`;
  const role: IClusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: roleName, labels },
    rules,
  };
  new ApiObject(chart, `${id}-clusterrole`, role);
  const binding: IClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: roleName, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name, namespace: monitoringNamespaceOf(props) }],
  };
  new ApiObject(chart, `${id}-clusterrolebinding`, binding);
}

/** The Deployment of a monitoring workload: one replica, three old ReplicaSets kept. */
export function singleReplicaDeployment(
  metadata: NonNullable<IDeployment['metadata']>,
  selector: Labels,
  template: IPodTemplateSpec,
  strategy?: NonNullable<IDeployment['spec']>['strategy'],
): IDeployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: { replicas: 1, revisionHistoryLimit: 3, ...(strategy ? { strategy } : {}), selector: { matchLabels: selector }, template },
  };
}

export function httpProbe(path: string, port: string, periodSeconds: number, failureThreshold = 3): IProbe {
  return { httpGet: { path, port }, periodSeconds, failureThreshold, timeoutSeconds: 5 };
}

/** Peers: every pod of the named namespaces (by the immutable kubernetes.io/metadata.name label). */
export function namespacePeers(names: readonly string[]): INetworkPolicyPeer[] {
  return [
    {
      namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [...new Set(names)].sort() }] },
    },
  ];
}

export const tcp = (...ports: Array<number | string>): INetworkPolicyPort[] => ports.map((port) => ({ protocol: 'TCP', port }));

/** DNS to any namespace (kube-dns/CoreDNS live in kube-system on most clusters, elsewhere on some). */
export const DNS_EGRESS: INetworkPolicyEgressRule = {
  to: [{ namespaceSelector: {} }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};

/** The Kubernetes API server: its address is cluster-specific, its ports are not. */
export const API_SERVER_EGRESS: INetworkPolicyEgressRule = { ports: tcp(443, 6443) };
