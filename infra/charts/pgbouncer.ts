import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IServiceAccount } from 'kubernetes-models/v1';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS, type EnvironmentSettings } from '../environments.js';
import { clusterIpService, oneAtATimeDisruptionBudget, servicePort } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { NOBODY_UID } from '../monitoring/common.js';
import { SECRETS } from '../secrets.js';
import { credentialsEnv, generatedCredentials, PGBOUNCER_NAME, type DatabaseCredentials, type DatabaseEndpoint } from './database.js';
import type { Labels } from '../labels.js';
import { CONFIG_HASH_ANNOTATION, containerSecurityContext, contentHash, podSecurityContext, resourceRequirements } from './pod.js';
import { inClusterHost, labelsFor, selectorFor, stackPropsFrom, type StackProps } from './props.js';

/** Where PgBouncer listens in its pod; its Service maps the database port onto it. */
export const PGBOUNCER_PORT = 6432;
/** pgbouncer_exporter's port (its upstream default; CloudNativePG's Pooler serves its metrics there too). */
export const PGBOUNCER_EXPORTER_PORT = 9127;
/**
 * PgBouncer has no Prometheus endpoint of its own (only the SHOW commands of its admin
 * console), so the community exporter runs as a sidecar and reads them over 127.0.0.1.
 */
export const PGBOUNCER_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/pgbouncer-exporter:v0.11.0';
/** uid of the `postgres` user of the edoburu/pgbouncer (Alpine) image. */
export const PGBOUNCER_UID = 70;
const CONFIG_DIR = '/etc/pgbouncer';
const AUTH_DIR = '/etc/pgbouncer/auth';
/** The API's server-side statement limit (app/db/pool.ts): PgBouncer cannot pass the startup parameter on, so it sets it per server connection. */
export const POOLED_STATEMENT_TIMEOUT_MS = 10_000;

type PgbouncerSettings = EnvironmentSettings['postgres']['pgbouncer'];

export interface PgbouncerProps extends StackProps {
  /** Host of the Postgres server the pooler connects to. */
  serverHost: string;
  /** Port of the server, and of the pooler's Service. @default 5432 */
  port?: number;
  /** TLS to the server: `require` for a managed database, `disable` inside the namespace. @default 'disable' */
  serverTls?: 'disable' | 'require';
  /** Secret with the database username and password (the pooler's userlist is made from it). @default 'postgres-credentials' */
  credentialsSecret?: string;
  /** Image, replicas, pool sizes and resources. @default the `postgres.pgbouncer` base settings of infra/environments.ts */
  pgbouncer?: Partial<PgbouncerSettings>;
}

/**
 * The pooler's props in front of `server` (the in-cluster Postgres, or an ExternalDatabase:
 * one without pods is reached over TLS), or undefined when it does not run as our own
 * Deployment (pooler off, or CloudNativePG's Pooler).
 */
export function pgbouncerPropsFrom(ctx: SynthContext, server: DatabaseEndpoint): PgbouncerProps | undefined {
  const { postgres } = ctx.env;
  if (postgres.pooler !== 'pgbouncer' || postgres.mode === 'cnpg') return undefined;
  return {
    ...stackPropsFrom(ctx),
    serverHost: server.host,
    port: server.port,
    serverTls: server.selector === undefined ? 'require' : 'disable',
    credentialsSecret: server.credentials.secretName,
    pgbouncer: postgres.pgbouncer,
  };
}

export interface PgbouncerIniOptions {
  serverHost: string;
  serverPort: number;
  listenAddress: string;
  listenPort: number;
  serverTls: 'disable' | 'require';
  poolSize: number;
  maxClientConnections: number;
  /** Directory of userlist.txt and users.ini, which pgbouncerAuthScript writes. */
  authDir: string;
}

/**
 * pgbouncer.ini in transaction mode. No secret in it: the userlist and the stats user come
 * from files the init container writes from the credentials Secret (%include).
 * - Every database name goes to the one server (`*`), with at most `poolSize` connections
 *   (max_db_connections caps the total, reserve pool off): the figure the connection budget counts.
 * - `pg` sends statement_timeout as a startup parameter, which PgBouncer refuses unless told
 *   to ignore it; connect_query puts the same limit on each server connection instead.
 *   The exporter's driver sends extra_float_digits.
 */
export function pgbouncerIni(options: PgbouncerIniOptions): string {
  return [
    '[databases]',
    `* = host=${options.serverHost} port=${options.serverPort} connect_query='SET statement_timeout = ${POOLED_STATEMENT_TIMEOUT_MS}'`,
    '',
    '[pgbouncer]',
    `listen_addr = ${options.listenAddress}`,
    `listen_port = ${options.listenPort}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${options.authDir}/userlist.txt`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize}`,
    `max_db_connections = ${options.poolSize}`,
    'min_pool_size = 0',
    'reserve_pool_size = 0',
    `max_client_conn = ${options.maxClientConnections}`,
    'ignore_startup_parameters = statement_timeout,extra_float_digits',
    `server_tls_sslmode = ${options.serverTls}`,
    'server_idle_timeout = 300',
    'log_connections = 0',
    'log_disconnections = 0',
    `%include ${options.authDir}/users.ini`,
    '',
  ].join('\n');
}

/**
 * Writes the userlist (the plain password lets PgBouncer answer SCRAM from the API and log in
 * to Postgres with it) and makes the app user a stats user, so the exporter can read SHOW STATS.
 */
export function pgbouncerAuthScript(authDir: string): string {
  return [
    'set -eu',
    'umask 077',
    `printf '"%s" "%s"\\n' "$PGUSER" "$PGPASSWORD" > ${authDir}/userlist.txt`,
    `printf 'stats_users = %s\\n' "$PGUSER" > ${authDir}/users.ini`,
  ].join('\n');
}

/**
 * PgBouncer in transaction mode between the API and Postgres (25-pgbouncer.yaml), or nothing
 * without props. See PgBouncer.
 */
export function buildPgbouncer(scope: ManifestScope, props: PgbouncerProps | undefined): PgBouncer | undefined {
  return props ? new PgBouncer(scope.file('25-pgbouncer.yaml'), PGBOUNCER_NAME, props) : undefined;
}

/**
 * PgBouncer in transaction mode between the API and Postgres: a ConfigMap with its
 * pgbouncer.ini, a Deployment (an init container writes the auth files from the Secret; the
 * exporter is a sidecar), a Service on the database port, and a PDB with more than one replica.
 * The Jobs and the postgres exporter keep connecting to the server directly.
 * A DatabaseEndpoint: `.host` and `.port` (its Service, on the database port), `.containerPort`
 * (6432, which NetworkPolicies name), `.selector`, `.credentials` (the server's); also
 * `.service`, `.deployment`, `.configMap` and `.metricsPort` (the exporter sidecar's).
 */
export class PgBouncer extends Construct implements DatabaseEndpoint {
  readonly service: ApiObject;
  readonly deployment: ApiObject;
  readonly configMap: ApiObject;
  readonly selector: Labels;
  readonly host: string;
  readonly serviceName = PGBOUNCER_NAME;
  readonly port: number;
  readonly containerPort = PGBOUNCER_PORT;
  readonly metricsPort = PGBOUNCER_EXPORTER_PORT;
  readonly credentials: DatabaseCredentials;

  constructor(scope: Construct, id: string, props: PgbouncerProps) {
    super(scope, id);
    const settings = { ...BASE_SETTINGS.postgres.pgbouncer, ...props.pgbouncer };
    const port = props.port ?? BASE_SETTINGS.postgres.port;
    this.credentials = generatedCredentials(props.credentialsSecret ?? SECRETS.postgres.name);
    const labels = labelsFor(props, PGBOUNCER_NAME, 'pooler');
    const selector = selectorFor(props, PGBOUNCER_NAME);
    this.selector = selector;
    this.host = inClusterHost(this.serviceName, props.namespace);
    this.port = port;
    const metadata = { name: PGBOUNCER_NAME, namespace: props.namespace, labels };
    const ini = pgbouncerIni({
      serverHost: props.serverHost,
      serverPort: port,
      listenAddress: '0.0.0.0',
      listenPort: PGBOUNCER_PORT,
      serverTls: props.serverTls ?? 'disable',
      poolSize: settings.poolSize,
      maxClientConnections: settings.maxClientConnections,
      authDir: AUTH_DIR,
    });
    const config: IConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...metadata, name: `${PGBOUNCER_NAME}-config` },
      data: { 'pgbouncer.ini': ini },
    };
    this.configMap = new ApiObject(this, 'config', config);

    const account: IServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata, automountServiceAccountToken: false };
    new ApiObject(this, 'sa', account);

    const credentials = credentialsEnv(this.credentials);
    const deployment: IDeployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: settings.replicas,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        // A new pooler pod before an old one goes: the API's connections move over, never all at once.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: {
            labels,
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(PGBOUNCER_EXPORTER_PORT),
              'prometheus.io/path': '/metrics',
              [CONFIG_HASH_ANNOTATION]: contentHash(ini),
            },
          },
          spec: {
            serviceAccountName: PGBOUNCER_NAME,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurityContext(PGBOUNCER_UID),
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
                ],
              },
            },
            initContainers: [
              {
                name: 'auth',
                image: settings.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', pgbouncerAuthScript(AUTH_DIR)],
                env: credentials,
                resources: resourceRequirements(settings.resources),
                securityContext: containerSecurityContext(PGBOUNCER_UID),
                volumeMounts: [{ name: 'auth', mountPath: AUTH_DIR }],
              },
            ],
            containers: [
              {
                name: PGBOUNCER_NAME,
                image: settings.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['pgbouncer', `${CONFIG_DIR}/pgbouncer.ini`],
                ports: [{ name: 'pgbouncer', containerPort: PGBOUNCER_PORT, protocol: 'TCP' }],
                resources: resourceRequirements(settings.resources),
                readinessProbe: { tcpSocket: { port: 'pgbouncer' }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
                livenessProbe: { tcpSocket: { port: 'pgbouncer' }, periodSeconds: 15, failureThreshold: 4, timeoutSeconds: 2 },
                // PgBouncer's SIGTERM closes every client at once: keep serving while endpoints drop the pod first.
                lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
                securityContext: containerSecurityContext(PGBOUNCER_UID),
                volumeMounts: [
                  { name: 'config', mountPath: `${CONFIG_DIR}/pgbouncer.ini`, subPath: 'pgbouncer.ini', readOnly: true },
                  { name: 'auth', mountPath: AUTH_DIR, readOnly: true },
                ],
              },
              {
                name: 'exporter',
                image: PGBOUNCER_EXPORTER_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                args: [
                  `--web.listen-address=:${PGBOUNCER_EXPORTER_PORT}`,
                  // $(VAR) is expanded by the kubelet: the password stays in the Secret.
                  `--pgBouncer.connectionString=postgres://$(PGUSER):$(PGPASSWORD)@127.0.0.1:${PGBOUNCER_PORT}/pgbouncer?sslmode=disable`,
                ],
                env: credentials,
                ports: [{ name: 'metrics', containerPort: PGBOUNCER_EXPORTER_PORT, protocol: 'TCP' }],
                resources: resourceRequirements({ requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } }),
                readinessProbe: {
                  httpGet: { path: '/metrics', port: 'metrics' },
                  periodSeconds: 15,
                  failureThreshold: 3,
                  timeoutSeconds: 5,
                },
                livenessProbe: { tcpSocket: { port: 'metrics' }, periodSeconds: 30, failureThreshold: 4, timeoutSeconds: 5 },
                securityContext: containerSecurityContext(NOBODY_UID),
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: `${PGBOUNCER_NAME}-config` } },
              { name: 'auth', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
            ],
          },
        },
      },
    };
    this.deployment = new ApiObject(this, 'deployment', deployment);

    this.service = new ApiObject(
      this,
      'service',
      clusterIpService(metadata, selector, [
        { name: 'pgbouncer', port, targetPort: 'pgbouncer', protocol: 'TCP' },
        servicePort('metrics', PGBOUNCER_EXPORTER_PORT),
      ]),
    );

    if (settings.replicas > 1) {
      new ApiObject(this, 'pdb', oneAtATimeDisruptionBudget(metadata, selector));
    }
  }
}
