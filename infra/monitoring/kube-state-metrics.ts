import { ApiObject } from 'cdk8s';
import type { IServiceAccount } from 'kubernetes-models/v1';
import { containerSecurityContext, podSecurityContext } from '../charts/pod.js';
import { labelsFor, selectorFor } from '../charts/props.js';
import { clusterIpService, networkPolicy, servicePort } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import {
  addClusterRole,
  API_SERVER_EGRESS,
  DNS_EGRESS,
  httpProbe,
  monitoringNamespaceOf,
  NOBODY_UID,
  singleReplicaDeployment,
  tcp,
  type MonitoringStackProps,
} from './common.js';
import { IMAGES, KUBE_STATE_METRICS_NAME, KUBE_STATE_METRICS_PORT, PROMETHEUS_NAME } from './names.js';

const TELEMETRY_PORT = 8081;

/**
 * kube-state-metrics, limited to the objects our rules and dashboards read (Deployments,
 * HPAs, pods): replicas vs HPA desired/max, available replicas, container restarts.
 * kube-prometheus-stack ships its own, so operator mode does not emit this.
 */
export function buildKubeStateMetrics(scope: ManifestScope, props: MonitoringStackProps): void {
  const name = KUBE_STATE_METRICS_NAME;
  const monitoringNamespace = monitoringNamespaceOf(props);
  const labels = labelsFor(props, name, 'monitoring');
  const selector = selectorFor(props, name);
  const metadata = { name, namespace: monitoringNamespace, labels };

  const rbac = scope.file('61-monitoring-rbac.yaml');
  const account: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false };
  new ApiObject(rbac, 'ksm-sa', account);
  addClusterRole(rbac, props, 'ksm', name, labels, [
    { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list', 'watch'] },
  ]);

  const chart = scope.file('65-kube-state-metrics.yaml');
  const deployment = singleReplicaDeployment(metadata, selector, {
    metadata: { labels },
    spec: {
      serviceAccountName: name,
      automountServiceAccountToken: true,
      enableServiceLinks: false,
      securityContext: podSecurityContext(NOBODY_UID),
      containers: [
        {
          name,
          image: IMAGES.kubeStateMetrics,
          imagePullPolicy: 'IfNotPresent',
          args: [
            `--port=${KUBE_STATE_METRICS_PORT}`,
            `--telemetry-port=${TELEMETRY_PORT}`,
            '--resources=deployments,horizontalpodautoscalers,pods',
            // Only this environment: another one on the same cluster has its own.
            `--namespaces=${props.namespace},${monitoringNamespace}`,
          ],
          ports: [
            { name: 'http-metrics', containerPort: KUBE_STATE_METRICS_PORT, protocol: 'TCP' },
            { name: 'telemetry', containerPort: TELEMETRY_PORT, protocol: 'TCP' },
          ],
          resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
          readinessProbe: httpProbe('/readyz', 'telemetry', 10),
          livenessProbe: httpProbe('/livez', 'http-metrics', 20),
          securityContext: containerSecurityContext(NOBODY_UID),
        },
      ],
    },
  });
  new ApiObject(chart, 'ksm-deployment', deployment);
  new ApiObject(chart, 'ksm-service', clusterIpService(metadata, selector, [servicePort('http-metrics', KUBE_STATE_METRICS_PORT)]));

  const policy = networkPolicy(
    metadata,
    { matchLabels: selector },
    {
      ingress: [{ from: [{ podSelector: { matchLabels: selectorFor(props, PROMETHEUS_NAME) } }], ports: tcp(KUBE_STATE_METRICS_PORT) }],
      egress: [API_SERVER_EGRESS, DNS_EGRESS],
    },
  );
  new ApiObject(scope.file('67-monitoring-network-policies.yaml'), 'ksm-netpol', policy);
}
