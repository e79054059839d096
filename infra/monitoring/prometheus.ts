import { ApiObject } from 'cdk8s';
import type { IConfigMap, IServiceAccount } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { CONFIG_HASH_ANNOTATION, containerSecurityContext, contentHash, podSecurityContext } from '../charts/pod.js';
import type { ClusterName } from '../clusters.js';
import type { SynthContext } from '../context.js';
import { labelsFor, selectorFor, type ResourceSettings } from '../charts/props.js';
import { PART_OF } from '../labels.js';
import { clusterIpService, networkPolicy, readWriteOnceClaim, servicePort } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { buildAlertRules } from './alert-rules.js';
import {
  addClusterRole,
  API_SERVER_EGRESS,
  DNS_EGRESS,
  httpProbe,
  monitoringNamespaceOf,
  monitoringStackPropsFrom,
  NOBODY_UID,
  singleReplicaDeployment,
  tcp,
  type MonitoringStackProps,
} from './common.js';
import {
  GRAFANA_NAME,
  IMAGES,
  KUBE_STATE_METRICS_NAME,
  KUBE_STATE_METRICS_PORT,
  POSTGRES_EXPORTER_PORT,
  PROMETHEUS_NAME,
  PROMETHEUS_PORT,
  REDIS_EXPORTER_PORT,
} from './names.js';
import { buildPrometheusConfig, RULES_DIR } from './scrape-config.js';
import type { MonitoringSettings } from './settings.js';
import { API_PORT } from '../charts/app-config.js';

const COMPONENT = 'monitoring';
export const PROMETHEUS_CONFIG_MAP = 'prometheus-config';
export const PROMETHEUS_RULES_CONFIG_MAP = 'prometheus-rules';
export const RULES_FILE_NAME = 'quotes.rules.yaml';

const SMALL: ResourceSettings = { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } };
const LARGE: ResourceSettings = { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } };

export interface PrometheusProps extends MonitoringStackProps {
  /** Retention, TSDB size and class, intervals, alert thresholds (resolveMonitoringSettings). */
  settings: MonitoringSettings;
  /** Cluster flavour: the scrape config adapts to it. @default 'generic' */
  cluster?: ClusterName;
  /** Storage class of the TSDB volume when `settings.storageClassName` is unset; null is the cluster default. @default null */
  defaultStorageClassName?: string | null;
  /** @default requests 100m/256Mi, limits 500m/1Gi (prod: 250m/512Mi, 1/2Gi) */
  resources?: ResourceSettings;
}

export function prometheusPropsFrom(ctx: SynthContext, settings: MonitoringSettings): PrometheusProps {
  return {
    ...monitoringStackPropsFrom(ctx),
    settings,
    cluster: ctx.cluster.name,
    defaultStorageClassName: ctx.storageClassFor(null),
    resources: ctx.env.name === 'prod' ? LARGE : SMALL,
  };
}

/** Prometheus in `monitoring-<env>`, scraping its environment: RBAC for discovery, config + rules, TSDB on a PVC. */
export function buildPrometheus(scope: ManifestScope, props: PrometheusProps): void {
  const { settings } = props;
  const monitoringNamespace = monitoringNamespaceOf(props);
  const labels = labelsFor(props, PROMETHEUS_NAME, COMPONENT);
  const selector = selectorFor(props, PROMETHEUS_NAME);
  const metadata = { name: PROMETHEUS_NAME, namespace: monitoringNamespace, labels };

  const rbac = scope.file('61-monitoring-rbac.yaml');
  const account: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false };
  new ApiObject(rbac, 'prometheus-sa', account);
  addClusterRole(rbac, props, 'prometheus', PROMETHEUS_NAME, labels, [
    { apiGroups: [''], resources: ['pods', 'services', 'endpoints', 'nodes'], verbs: ['get', 'list', 'watch'] },
  ]);

  const config = scope.file('62-monitoring-config.yaml');
  const configData = {
    'prometheus.yml': stringify(
      buildPrometheusConfig(settings, props.cluster ?? 'generic', { app: props.namespace, monitoring: monitoringNamespace }),
    ),
  };
  const rulesData = { [RULES_FILE_NAME]: stringify(buildAlertRules(settings.alerts)) };
  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...metadata, name: PROMETHEUS_CONFIG_MAP },
    data: configData,
  };
  new ApiObject(config, 'prometheus-config', configMap);
  const rulesMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...metadata, name: PROMETHEUS_RULES_CONFIG_MAP },
    data: rulesData,
  };
  new ApiObject(config, 'prometheus-rules', rulesMap);

  const chart = scope.file('64-prometheus.yaml');
  const storageClassName = settings.storageClassName ?? props.defaultStorageClassName ?? null;
  const claim = readWriteOnceClaim({ ...metadata, name: `${PROMETHEUS_NAME}-data` }, storageClassName, settings.storageSize);
  new ApiObject(chart, 'prometheus-pvc', claim);

  const resources = props.resources ?? SMALL;
  const deployment = singleReplicaDeployment(
    metadata,
    selector,
    {
      metadata: {
        labels,
        // A config or rule change rolls the pod, so nothing depends on a reload sidecar.
        annotations: { [CONFIG_HASH_ANNOTATION]: contentHash({ configData, rulesData }) },
      },
      spec: {
        serviceAccountName: PROMETHEUS_NAME,
        // Service discovery talks to the Kubernetes API with this account's token.
        automountServiceAccountToken: true,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 300,
        securityContext: podSecurityContext(NOBODY_UID),
        containers: [
          {
            name: PROMETHEUS_NAME,
            image: IMAGES.prometheus,
            imagePullPolicy: 'IfNotPresent',
            args: [
              '--config.file=/etc/prometheus/prometheus.yml',
              '--storage.tsdb.path=/prometheus',
              `--storage.tsdb.retention.time=${settings.retention}`,
              `--web.listen-address=:${PROMETHEUS_PORT}`,
              '--web.console.libraries=/usr/share/prometheus/console_libraries',
              '--web.console.templates=/usr/share/prometheus/consoles',
            ],
            ports: [{ name: 'http', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
            resources,
            // Replaying the WAL after a restart can take minutes on a full TSDB.
            startupProbe: httpProbe('/-/ready', 'http', 10, 60),
            readinessProbe: httpProbe('/-/ready', 'http', 10),
            livenessProbe: httpProbe('/-/healthy', 'http', 20),
            securityContext: containerSecurityContext(NOBODY_UID),
            volumeMounts: [
              { name: 'config', mountPath: '/etc/prometheus', readOnly: true },
              { name: 'rules', mountPath: RULES_DIR, readOnly: true },
              { name: 'data', mountPath: '/prometheus' },
            ],
          },
        ],
        volumes: [
          { name: 'config', configMap: { name: PROMETHEUS_CONFIG_MAP } },
          { name: 'rules', configMap: { name: PROMETHEUS_RULES_CONFIG_MAP } },
          { name: 'data', persistentVolumeClaim: { claimName: claim.metadata!.name! } },
        ],
      },
    },
    // One writer on a ReadWriteOnce volume: the old pod must stop before the new one mounts it.
    { type: 'Recreate' },
  );
  new ApiObject(chart, 'prometheus-deployment', deployment);
  new ApiObject(chart, 'prometheus-service', clusterIpService(metadata, selector, [servicePort('http', PROMETHEUS_PORT)]));

  const policy = networkPolicy(
    metadata,
    { matchLabels: selector },
    {
      ingress: [{ from: [{ podSelector: { matchLabels: selectorFor(props, GRAFANA_NAME) } }], ports: tcp(PROMETHEUS_PORT) }],
      egress: [
        // Metrics ports of our stack's pods in this environment's namespace.
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'app.kubernetes.io/part-of': PART_OF, 'kubernetes.io/metadata.name': props.namespace } },
            },
          ],
          ports: tcp(API_PORT, POSTGRES_EXPORTER_PORT, REDIS_EXPORTER_PORT),
        },
        { to: [{ podSelector: { matchLabels: selectorFor(props, KUBE_STATE_METRICS_NAME) } }], ports: tcp(KUBE_STATE_METRICS_PORT) },
        API_SERVER_EGRESS,
        DNS_EGRESS,
      ],
    },
  );
  new ApiObject(scope.file('67-monitoring-network-policies.yaml'), 'prometheus-netpol', policy);
}
