import { ApiObject } from 'cdk8s';
import type { IEnvVar, IServiceAccount } from 'kubernetes-models/v1';
import type { Chart } from 'cdk8s';
import { containerSecurityContext, podSecurityContext } from '../charts/pod.js';
import type { MonitoredParts, ScrapedService } from './parts.js';
import { POSTGRES_NAME } from '../charts/postgres.js';
import { REDIS_NAME, REDIS_PORT } from '../charts/redis.js';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS } from '../environments.js';
import { labelsFor, selectorFor, stackPropsFrom, type StackProps } from '../charts/props.js';
import { clusterIpService, networkPolicy, servicePort } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { SECRETS } from '../secrets.js';
import {
  DNS_EGRESS,
  httpProbe,
  namespacePeers,
  NOBODY_UID,
  PROMETHEUS_SCRAPE_ANNOTATIONS,
  singleReplicaDeployment,
  tcp,
} from './common.js';
import { IMAGES, POSTGRES_EXPORTER_NAME, POSTGRES_EXPORTER_PORT, REDIS_EXPORTER_NAME, REDIS_EXPORTER_PORT } from './names.js';

export const EXPORTERS_FILE = '63-exporters.yaml';
const COMPONENT = 'metrics';

interface ExporterSpec {
  name: string;
  image: string;
  port: number;
  args: string[];
  env: IEnvVar[];
  /** Where the exporter connects: pods of this workload in the app namespace, or any address (external database). */
  target: { selector: Record<string, string> | null; port: number };
}

export interface ExportersProps extends StackProps {
  /** Namespaces whose Prometheus may scrape the exporters. */
  scrapedFrom: readonly string[];
  /** Host of an external database; null watches the in-cluster `postgres`. @default null */
  postgresExternalHost?: string | null;
  /** Service of the in-cluster database when it is not `postgres` (CloudNativePG's `postgres-rw`). @default 'postgres' */
  postgresService?: string;
  /** Secret with the database username and password. @default 'postgres-credentials' */
  postgresSecret?: string;
  /** @default 5432 */
  postgresPort?: number;
  /** @default 'quotes' */
  database?: string;
  /** Redis runs (its exporter too): true for the `redis` Service and pods on 6379, or the cache's own. @default true */
  redis?: boolean | (ScrapedService & { readonly port: number });
}

/** The exporters' props, watching the stack's database server and cache (`parts`). */
export function exportersPropsFrom(ctx: SynthContext, scrapedFrom: readonly string[], parts: MonitoredParts): ExportersProps {
  const { database } = parts;
  return {
    ...stackPropsFrom(ctx),
    scrapedFrom,
    // A database without a Service in the namespace is outside the cluster.
    postgresExternalHost: database.serviceName === undefined ? database.host : null,
    // CloudNativePG: the primary's Service; its pods carry the `postgres` selector labels too (inheritedMetadata).
    ...(database.serviceName !== undefined && database.serviceName !== POSTGRES_NAME ? { postgresService: database.serviceName } : {}),
    postgresSecret: database.credentials.secretName,
    postgresPort: database.port,
    database: ctx.env.postgres.database,
    redis: parts.redis ?? false,
  };
}

/**
 * postgres_exporter and redis_exporter as small Deployments next to the database they watch
 * (in the app namespace, where the credentials Secrets live), each with its own
 * NetworkPolicies: Prometheus in `scrapedFrom` may scrape it, it may reach its
 * database, and the database admits it. Emitted in `self` and `operator` modes.
 */
export function buildExporters(scope: ManifestScope, props: ExportersProps): void {
  const chart = scope.file(EXPORTERS_FILE);
  const port = props.postgresPort ?? BASE_SETTINGS.postgres.port;
  const database = props.database ?? BASE_SETTINGS.postgres.database;
  const secret = (name: string, key: string): IEnvVar['valueFrom'] => ({ secretKeyRef: { name, key } });

  const internalPostgres = !props.postgresExternalHost;
  const host = props.postgresExternalHost || props.postgresService || POSTGRES_NAME;
  const postgresSecret = props.postgresSecret ?? SECRETS.postgres.name;
  const exporters: ExporterSpec[] = [
    {
      name: POSTGRES_EXPORTER_NAME,
      image: IMAGES.postgresExporter,
      port: POSTGRES_EXPORTER_PORT,
      args: [`--web.listen-address=:${POSTGRES_EXPORTER_PORT}`],
      env: [
        // In-cluster traffic stays inside the NetworkPolicy'd namespace; a managed database gets TLS.
        { name: 'DATA_SOURCE_URI', value: `${host}:${port}/${database}?sslmode=${internalPostgres ? 'disable' : 'require'}` },
        { name: 'DATA_SOURCE_USER', valueFrom: secret(postgresSecret, SECRETS.postgres.keys.username) },
        { name: 'DATA_SOURCE_PASS', valueFrom: secret(postgresSecret, SECRETS.postgres.keys.password) },
      ],
      target: { selector: internalPostgres ? selectorFor(props, POSTGRES_NAME) : null, port },
    },
  ];
  const cache = props.redis ?? true;
  if (cache !== false) {
    const redis = cache === true ? { serviceName: REDIS_NAME, selector: selectorFor(props, REDIS_NAME), port: REDIS_PORT } : cache;
    exporters.push({
      name: REDIS_EXPORTER_NAME,
      image: IMAGES.redisExporter,
      port: REDIS_EXPORTER_PORT,
      // redis_exporter takes single-dash Go flags.
      args: [`-web.listen-address=:${REDIS_EXPORTER_PORT}`],
      env: [
        { name: 'REDIS_ADDR', value: `redis://${redis.serviceName}:${redis.port}` },
        { name: 'REDIS_PASSWORD', valueFrom: secret(SECRETS.redis.name, SECRETS.redis.keys.password) },
      ],
      target: { selector: redis.selector, port: redis.port },
    });
  }
  for (const exporter of exporters) addExporter(chart, props, exporter);
}

function addExporter(chart: Chart, props: ExportersProps, spec: ExporterSpec): void {
  const labels = labelsFor(props, spec.name, COMPONENT);
  const selector = selectorFor(props, spec.name);
  const metadata = { name: spec.name, namespace: props.namespace, labels };

  const account: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false };
  new ApiObject(chart, `${spec.name}-sa`, account);

  const deployment = singleReplicaDeployment(metadata, selector, {
    metadata: { labels, annotations: PROMETHEUS_SCRAPE_ANNOTATIONS(spec.port) },
    spec: {
      serviceAccountName: spec.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurityContext(NOBODY_UID),
      containers: [
        {
          name: spec.name,
          image: spec.image,
          imagePullPolicy: 'IfNotPresent',
          args: spec.args,
          env: spec.env,
          ports: [{ name: 'metrics', containerPort: spec.port, protocol: 'TCP' }],
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          readinessProbe: httpProbe('/metrics', 'metrics', 15),
          livenessProbe: httpProbe('/metrics', 'metrics', 30),
          securityContext: containerSecurityContext(NOBODY_UID),
        },
      ],
    },
  });
  new ApiObject(chart, `${spec.name}-deployment`, deployment);

  new ApiObject(chart, `${spec.name}-service`, clusterIpService(metadata, selector, [servicePort('metrics', spec.port)]));

  const egressToTarget = spec.target.selector
    ? { to: [{ podSelector: { matchLabels: spec.target.selector } }], ports: tcp(spec.target.port) }
    : { ports: tcp(spec.target.port) };
  const policy = networkPolicy(
    metadata,
    { matchLabels: selector },
    {
      ingress: [{ from: namespacePeers(props.scrapedFrom), ports: tcp(spec.port) }],
      egress: [egressToTarget, DNS_EGRESS],
    },
  );
  new ApiObject(chart, `${spec.name}-netpol`, policy);

  if (spec.target.selector) {
    // NetworkPolicies add up: this admits the exporter next to whatever the database's own policy allows.
    const admit = networkPolicy(
      { name: `${spec.target.selector['app.kubernetes.io/name']}-from-${spec.name}`, namespace: props.namespace, labels },
      { matchLabels: spec.target.selector },
      { ingress: [{ from: [{ podSelector: { matchLabels: selector } }], ports: tcp(spec.target.port) }] },
    );
    new ApiObject(chart, `${spec.name}-target-netpol`, admit);
  }
}
