import { ApiObject } from 'cdk8s';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { IConfigMap, IServiceAccount } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { CONFIG_HASH_ANNOTATION, containerSecurityContext, contentHash, podSecurityContext } from '../charts/pod.js';
import type { SynthContext } from '../context.js';
import { DEFAULT_HOST } from '../environments.js';
import { labelsFor, selectorFor } from '../charts/props.js';
import { clusterIpService, networkPolicy, servicePort } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { SECRETS } from '../secrets.js';
import { buildDashboards, dashboardJson } from '../dashboards/index.js';
import {
  DNS_EGRESS,
  GRAFANA_UID,
  httpProbe,
  monitoringNamespaceOf,
  monitoringStackPropsFrom,
  namespacePeers,
  singleReplicaDeployment,
  tcp,
  type MonitoringStackProps,
} from './common.js';
import { GRAFANA_NAME, GRAFANA_PORT, IMAGES, PROMETHEUS_DATASOURCE_UID, PROMETHEUS_NAME, PROMETHEUS_PORT } from './names.js';
import type { MonitoringSettings } from './settings.js';

/** Keys of the `grafana-admin` Secret that `qctl up` generates once (never synthesized with data). */
export const GRAFANA_ADMIN_KEYS = { user: 'admin-user', password: 'admin-password' } as const;

export const GRAFANA_DATASOURCES_CONFIG_MAP = 'grafana-datasources';
export const GRAFANA_DASHBOARD_PROVIDER_CONFIG_MAP = 'grafana-dashboard-provider';
export const GRAFANA_DASHBOARDS_CONFIG_MAP = 'grafana-dashboards';
const DASHBOARDS_DIR = '/var/lib/grafana-dashboards';

export interface GrafanaProps extends MonitoringStackProps {
  /** Whether to write an Ingress for Grafana, and its host. @default ingress on, host `grafana.<apiHost>` */
  grafana?: MonitoringSettings['grafana'];
  /** The API's host, the base of Grafana's default host. @default 'quotes.127.0.0.1.nip.io' */
  apiHost?: string;
  /** The environment exposes itself with Ingresses (`ingress.mode` ingress). @default true */
  ingressEnabled?: boolean;
  /** @default 'nginx' */
  ingressClassName?: string;
  /** Namespaces of the ingress controller; null lets any namespace reach Grafana's port. @default null */
  ingressControllerNamespaces?: string[] | null;
}

export function grafanaPropsFrom(ctx: SynthContext, settings: MonitoringSettings): GrafanaProps {
  return {
    ...monitoringStackPropsFrom(ctx),
    grafana: settings.grafana,
    apiHost: ctx.env.ingress.host,
    ingressEnabled: ctx.env.ingress.mode === 'ingress',
    ingressClassName: ctx.ingressClassName,
    ingressControllerNamespaces: ctx.ingressControllerNamespaces,
  };
}

export function grafanaHost(props: Pick<GrafanaProps, 'grafana' | 'apiHost'>): string {
  return props.grafana?.host ?? `grafana.${props.apiHost ?? DEFAULT_HOST}`;
}

/** Datasource provisioning: our Prometheus, uid `prometheus` (what the dashboards' variable defaults to). */
export function grafanaDatasources(monitoringNamespace: string): unknown {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: PROMETHEUS_DATASOURCE_UID,
        access: 'proxy',
        url: `http://${PROMETHEUS_NAME}.${monitoringNamespace}.svc:${PROMETHEUS_PORT}`,
        isDefault: true,
        editable: false,
      },
    ],
  };
}

/**
 * Grafana with a provisioned Prometheus datasource and our dashboards from ConfigMaps. The admin
 * password comes from the generated `grafana-admin` Secret: there is no default password.
 */
export function buildGrafana(scope: ManifestScope, props: GrafanaProps): void {
  const monitoringNamespace = monitoringNamespaceOf(props);
  const labels = labelsFor(props, GRAFANA_NAME, 'monitoring');
  const selector = selectorFor(props, GRAFANA_NAME);
  const metadata = { name: GRAFANA_NAME, namespace: monitoringNamespace, labels };

  const account: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false };
  new ApiObject(scope.file('61-monitoring-rbac.yaml'), 'grafana-sa', account);

  const config = scope.file('62-monitoring-config.yaml');
  const datasources = { 'datasources.yaml': stringify(grafanaDatasources(monitoringNamespace)) };
  const provider = {
    'dashboards.yaml': stringify({
      apiVersion: 1,
      providers: [
        {
          name: 'qctl',
          folder: 'Quotes',
          type: 'file',
          disableDeletion: true,
          allowUiUpdates: false,
          updateIntervalSeconds: 30,
          options: { path: DASHBOARDS_DIR },
        },
      ],
    }),
  };
  const dashboards = Object.fromEntries(buildDashboards().map((file) => [file.fileName, dashboardJson(file.dashboard)]));
  const maps: Array<[string, Record<string, string>]> = [
    [GRAFANA_DATASOURCES_CONFIG_MAP, datasources],
    [GRAFANA_DASHBOARD_PROVIDER_CONFIG_MAP, provider],
    [GRAFANA_DASHBOARDS_CONFIG_MAP, dashboards],
  ];
  for (const [name, data] of maps) {
    const map: IConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...metadata, name }, data };
    new ApiObject(config, name, map);
  }

  const host = grafanaHost(props);
  const withIngress = (props.grafana?.ingress ?? true) && (props.ingressEnabled ?? true);
  const adminSecret = (key: string) => ({ secretKeyRef: { name: SECRETS.grafana.name, key } });
  const chart = scope.file('66-grafana.yaml');
  const deployment = singleReplicaDeployment(metadata, selector, {
    metadata: {
      labels,
      annotations: { [CONFIG_HASH_ANNOTATION]: contentHash({ datasources, provider }) },
    },
    spec: {
      serviceAccountName: GRAFANA_NAME,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurityContext(GRAFANA_UID),
      containers: [
        {
          name: GRAFANA_NAME,
          image: IMAGES.grafana,
          imagePullPolicy: 'IfNotPresent',
          ports: [{ name: 'http', containerPort: GRAFANA_PORT, protocol: 'TCP' }],
          env: [
            { name: 'GF_SECURITY_ADMIN_USER', valueFrom: adminSecret(GRAFANA_ADMIN_KEYS.user) },
            { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: adminSecret(GRAFANA_ADMIN_KEYS.password) },
            { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
            { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
            { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
            { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
            { name: 'GF_PATHS_PROVISIONING', value: '/etc/grafana/provisioning' },
            { name: 'GF_LOG_MODE', value: 'console' },
            ...(withIngress ? [{ name: 'GF_SERVER_ROOT_URL', value: `http://${host}/` }] : []),
          ],
          resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
          readinessProbe: httpProbe('/api/health', 'http', 10),
          livenessProbe: httpProbe('/api/health', 'http', 30),
          securityContext: containerSecurityContext(GRAFANA_UID),
          volumeMounts: [
            { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
            { name: 'dashboard-provider', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
            { name: 'dashboards', mountPath: DASHBOARDS_DIR, readOnly: true },
            // Sessions and the sqlite database: state is provisioned, so an emptyDir is enough.
            { name: 'data', mountPath: '/var/lib/grafana' },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'datasources', configMap: { name: GRAFANA_DATASOURCES_CONFIG_MAP } },
        { name: 'dashboard-provider', configMap: { name: GRAFANA_DASHBOARD_PROVIDER_CONFIG_MAP } },
        { name: 'dashboards', configMap: { name: GRAFANA_DASHBOARDS_CONFIG_MAP } },
        { name: 'data', emptyDir: { sizeLimit: '256Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      ],
    },
  });
  new ApiObject(chart, 'grafana-deployment', deployment);

  new ApiObject(chart, 'grafana-service', clusterIpService(metadata, selector, [servicePort('http', 80)]));

  if (withIngress) {
    const ingress: IIngress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata,
      spec: {
        ingressClassName: props.ingressClassName ?? 'nginx',
        rules: [
          {
            host,
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: GRAFANA_NAME, port: { name: 'http' } } } }] },
          },
        ],
      },
    };
    new ApiObject(chart, 'grafana-ingress', ingress);
  }

  const policy = networkPolicy(
    metadata,
    { matchLabels: selector },
    {
      ingress: [
        {
          // The ingress controller (any namespace when the cluster flavour cannot say which).
          ...(props.ingressControllerNamespaces
            ? { from: namespacePeers(props.ingressControllerNamespaces) }
            : { from: [{ namespaceSelector: {} }] }),
          ports: tcp(GRAFANA_PORT),
        },
      ],
      egress: [{ to: [{ podSelector: { matchLabels: selectorFor(props, PROMETHEUS_NAME) } }], ports: tcp(PROMETHEUS_PORT) }, DNS_EGRESS],
    },
  );
  new ApiObject(scope.file('67-monitoring-network-policies.yaml'), 'grafana-netpol', policy);
}
