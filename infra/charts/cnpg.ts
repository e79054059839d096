import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS, type EnvironmentSettings } from '../environments.js';
import type { ManifestScope } from '../scope.js';
import type { Labels } from '../labels.js';
import {
  CNPG_CLUSTER_NAME,
  CNPG_POOLER_NAME,
  CNPG_PORT,
  generatedCredentials,
  type DatabaseCredentials,
  type DatabaseEndpoint,
} from './database.js';
import { PGBOUNCER_EXPORTER_PORT } from './pgbouncer.js';
import { connectionSettings } from './postgres.js';
import { inClusterHost, labelsFor, stackPropsFrom, type ResourceSettings, type StackProps } from './props.js';

export const CNPG_API_VERSION = 'postgresql.cnpg.io/v1';
/** The instance manager's metrics port (CloudNativePG's built-in exporter). */
export const CNPG_METRICS_PORT = 9187;
/** The instance manager's status port, which the operator polls. */
export const CNPG_STATUS_PORT = 8000;
/** The database owner CloudNativePG creates; its `<cluster>-app` Secret holds this user's password. */
const APP_OWNER = 'quotes';

type PostgresSettings = EnvironmentSettings['postgres'];

export interface CnpgProps extends StackProps {
  /** Instances, operand image. @default the `postgres.cnpg` base settings (1 instance) */
  cnpg?: Partial<Pick<PostgresSettings['cnpg'], 'instances' | 'imageName'>>;
  /** @default 'quotes' */
  database?: string;
  /** @default '1Gi' */
  storageSize?: string;
  /** null: the cluster's default class. @default null */
  storageClassName?: string | null;
  /** @default the `postgres` base resources */
  resources?: ResourceSettings;
  /** max_connections of every instance. @default 100 */
  maxConnections?: number;
  /** A CloudNativePG Pooler (PgBouncer, transaction mode) in front of the primary, with these replicas and pools. @default none */
  pooler?: Pick<PostgresSettings['pgbouncer'], 'replicas' | 'poolSize' | 'maxClientConnections' | 'resources'>;
}

export function cnpgPropsFrom(ctx: SynthContext): CnpgProps | undefined {
  const { postgres } = ctx.env;
  if (postgres.mode !== 'cnpg') return undefined;
  const { replicas, poolSize, maxClientConnections, resources } = postgres.pgbouncer;
  return {
    ...stackPropsFrom(ctx),
    cnpg: { instances: postgres.cnpg.instances, imageName: postgres.cnpg.imageName },
    database: postgres.database,
    storageSize: postgres.storageSize,
    storageClassName: ctx.storageClassFor(postgres.storageClassName),
    resources: postgres.resources,
    maxConnections: postgres.maxConnections,
    ...(postgres.pooler === 'pgbouncer' ? { pooler: { replicas, poolSize, maxClientConnections, resources } } : {}),
  };
}

const scrapeAnnotations = (port: number) => ({
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(port),
  'prometheus.io/path': '/metrics',
});

/** CloudNativePG's Cluster and Pooler in 20-postgres.yaml, or nothing without props. See Cnpg. */
export function buildCnpg(scope: ManifestScope, props: CnpgProps | undefined): Cnpg | undefined {
  return props ? new Cnpg(scope.file('20-postgres.yaml'), CNPG_CLUSTER_NAME, props) : undefined;
}

/** CloudNativePG's Pooler as a DatabaseEndpoint (its Service has the Pooler's name), with its ApiObject and metrics port. */
export interface CnpgPooler extends DatabaseEndpoint {
  readonly apiObject: ApiObject;
  readonly selector: Labels;
  readonly metricsPort: number;
}

/**
 * A CloudNativePG Cluster (the operator runs the primary, the streaming replicas, failover and
 * the `<cluster>-rw|-ro|-r` Services), and its Pooler when one is asked for. Backups are left
 * to the user: add `spec.backup` (an object store) through a Cluster of your own settings.
 *
 * A DatabaseEndpoint for the primary: `.host` (the operator's `<cluster>-rw` Service), `.port`,
 * `.credentials` (the operator's `<cluster>-app` Secret), `.selector` (every instance pod);
 * also `.cluster`, `.metricsPort`, `.statusPort`, and `.pooler` when one runs.
 */
export class Cnpg extends Construct implements DatabaseEndpoint {
  readonly cluster: ApiObject;
  readonly host: string;
  /** The operator's Service for the primary. */
  readonly serviceName = `${CNPG_CLUSTER_NAME}-rw`;
  readonly port = CNPG_PORT;
  readonly containerPort = CNPG_PORT;
  readonly selector: Labels = { 'cnpg.io/cluster': CNPG_CLUSTER_NAME };
  readonly credentials: DatabaseCredentials;
  readonly metricsPort = CNPG_METRICS_PORT;
  readonly statusPort = CNPG_STATUS_PORT;
  readonly pooler?: CnpgPooler;

  constructor(scope: Construct, id: string, props: CnpgProps) {
    super(scope, id);
    const postgres = BASE_SETTINGS.postgres;
    const cnpg = { ...postgres.cnpg, ...props.cnpg };
    const database = props.database ?? postgres.database;
    const labels = labelsFor(props, CNPG_CLUSTER_NAME, 'database');
    this.host = inClusterHost(this.serviceName, props.namespace);
    this.credentials = generatedCredentials(`${CNPG_CLUSTER_NAME}-app`);
    const storageClassName = props.storageClassName ?? null;
    const resources = props.resources ?? postgres.resources;

    this.cluster = new ApiObject(this, 'cluster', {
      apiVersion: CNPG_API_VERSION,
      kind: 'Cluster',
      metadata: { name: CNPG_CLUSTER_NAME, namespace: props.namespace, labels },
      spec: {
        instances: cnpg.instances,
        imageName: cnpg.imageName,
        primaryUpdateStrategy: 'unsupervised',
        // Our labels and the scrape annotations on every instance pod (self-hosted Prometheus finds them).
        inheritedMetadata: { labels, annotations: scrapeAnnotations(CNPG_METRICS_PORT) },
        postgresql: { parameters: connectionSettings(props.maxConnections ?? postgres.maxConnections) },
        bootstrap: {
          initdb: {
            database,
            owner: APP_OWNER,
            // pgvector is not a trusted extension: the superuser creates it here, once; the migration
            // then finds it installed (and creates pg_trgm, which the owner may).
            postInitApplicationSQL: ['CREATE EXTENSION IF NOT EXISTS vector'],
          },
        },
        storage: { size: props.storageSize ?? postgres.storageSize, ...(storageClassName ? { storageClass: storageClassName } : {}) },
        resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
        affinity: { enablePodAntiAffinity: true, podAntiAffinityType: 'preferred', topologyKey: 'kubernetes.io/hostname' },
      },
    });

    if (!props.pooler) return;
    const pooler = props.pooler;
    const poolerObject = new ApiObject(this, 'pooler', {
      apiVersion: CNPG_API_VERSION,
      kind: 'Pooler',
      metadata: { name: CNPG_POOLER_NAME, namespace: props.namespace, labels: labelsFor(props, CNPG_POOLER_NAME, 'pooler') },
      spec: {
        cluster: { name: CNPG_CLUSTER_NAME },
        instances: pooler.replicas,
        type: 'rw',
        pgbouncer: {
          poolMode: 'transaction',
          // The server-side pool the connection budget counts: default_pool_size per replica, capped by max_db_connections.
          parameters: {
            default_pool_size: String(pooler.poolSize),
            max_db_connections: String(pooler.poolSize),
            reserve_pool_size: '0',
            max_client_conn: String(pooler.maxClientConnections),
            ignore_startup_parameters: 'extra_float_digits,options,statement_timeout',
          },
        },
        template: {
          metadata: { labels: labelsFor(props, CNPG_POOLER_NAME, 'pooler'), annotations: scrapeAnnotations(PGBOUNCER_EXPORTER_PORT) },
          spec: {
            containers: [
              {
                name: 'pgbouncer',
                resources: { requests: { ...pooler.resources.requests }, limits: { ...pooler.resources.limits } },
              },
            ],
          },
        },
      },
    });
    this.pooler = {
      apiObject: poolerObject,
      host: inClusterHost(CNPG_POOLER_NAME, props.namespace),
      serviceName: CNPG_POOLER_NAME,
      port: CNPG_PORT,
      containerPort: CNPG_PORT,
      selector: { 'cnpg.io/poolerName': CNPG_POOLER_NAME },
      credentials: this.credentials,
      metricsPort: PGBOUNCER_EXPORTER_PORT,
    };
  }
}
