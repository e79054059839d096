import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IEnvVar } from 'kubernetes-models/v1';
import type { Labels } from '../labels.js';
import type { SynthContext } from '../context.js';
import { SUPERUSER_RESERVED_CONNECTIONS } from '../connection-budget.js';
import { BASE_SETTINGS } from '../environments.js';
import { addStatefulSetServices, readWriteOnceClaim, servicePort, singleReplicaStatefulSet } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { credentialsEnv, generatedCredentials, POSTGRES_NAME, type DatabaseCredentials, type DatabaseEndpoint } from './database.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { containerSecurityContext, podSecurityContext, quantityToMebibytes, resourceRequirements } from './pod.js';
import { inClusterHost, labelsFor, selectorFor, stackPropsFrom, type ResourceSettings, type StackProps } from './props.js';

/** uid/gid of the `postgres` user in the official (and pgvector) image. */
export const POSTGRES_UID = 999;

export interface PostgresProps extends StackProps {
  /** Pinned Postgres image with pgvector. @default 'pgvector/pgvector:0.8.0-pg17' */
  image?: string;
  /** @default 5432 */
  port?: number;
  /** Database created on first boot. @default 'quotes' */
  database?: string;
  /** Size of the data volume. @default '1Gi' */
  storageSize?: string;
  /** Storage class of the data volume; null is the cluster's default class. @default null */
  storageClassName?: string | null;
  /** @default requests 100m/256Mi, limits 1/512Mi */
  resources?: ResourceSettings;
  /** The server's max_connections, the ceiling of the connection budget (infra/connection-budget.ts). @default 100 */
  maxConnections?: number;
  /** The pods' ServiceAccount (the stack passes `serviceAccounts.postgres.serviceAccountName`). @default 'postgres' */
  serviceAccountName?: string;
}

/** The server settings the connection budget relies on, as `-c name=value` pairs (StatefulSet args, CNPG parameters). */
export function connectionSettings(maxConnections: number): Record<string, string> {
  return { max_connections: String(maxConnections), superuser_reserved_connections: String(SUPERUSER_RESERVED_CONNECTIONS) };
}

/** The props of the in-cluster database, or undefined when `postgres.mode` is external (nothing is emitted). */
export function postgresPropsFrom(ctx: SynthContext): PostgresProps | undefined {
  const { postgres } = ctx.env;
  if (postgres.mode !== 'internal') return undefined;
  const { image, port, database, storageSize, resources, maxConnections } = postgres;
  return {
    ...stackPropsFrom(ctx),
    maxConnections,
    image,
    port,
    database,
    storageSize,
    resources,
    storageClassName: ctx.storageClassFor(postgres.storageClassName),
  };
}

/**
 * Postgres with pgvector as a StatefulSet with a volumeClaimTemplate. Runs as the image's
 * postgres user directly (no root entrypoint step), with a read-only root filesystem: the
 * data directory lives on the PVC, the socket and temp files on emptyDirs. Schema changes are
 * the migration Job's job, never docker-entrypoint-initdb.d (it runs only on first boot).
 * In `external` mode there are no props and nothing is emitted: the API's PGHOST points at
 * the managed database.
 */
export function buildPostgres(scope: ManifestScope, props: PostgresProps | undefined): Postgres | undefined {
  return props ? new Postgres(scope.file('20-postgres.yaml'), POSTGRES_NAME, props) : undefined;
}

export { POSTGRES_NAME, type DatabaseCredentials } from './database.js';

/**
 * The in-cluster Postgres (see buildPostgres). Exposes `.service` (the ClusterIP Service
 * clients use), `.statefulSet`, `.selector`, `.port`, `.host` (in-cluster DNS name),
 * `.credentials` and `.connectionEnv()` for a container of your own that connects to it.
 */
export class Postgres extends Construct implements DatabaseEndpoint {
  readonly service: ApiObject;
  readonly statefulSet: ApiObject;
  readonly selector: Labels;
  readonly port: number;
  readonly host: string;
  readonly serviceName = POSTGRES_NAME;
  readonly database: string;
  readonly credentials: DatabaseCredentials = generatedCredentials();

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const postgres = { ...BASE_SETTINGS.postgres, ...props };
    const labels = labelsFor(props, POSTGRES_NAME, 'database');
    const selector = selectorFor(props, POSTGRES_NAME);
    const metadata = { name: POSTGRES_NAME, namespace: props.namespace, labels };
    const storageClassName = postgres.storageClassName;

    const { headlessName: serviceName, service } = addStatefulSetServices(this, metadata, selector, [
      servicePort('postgres', postgres.port),
    ]);
    this.service = service;
    this.selector = selector;
    this.port = postgres.port;
    this.host = inClusterHost(this.serviceName, props.namespace);
    this.database = postgres.database;

    const credential = (key: string) => ({ secretKeyRef: { name: this.credentials.secretName, key } });
    const statefulSet = singleReplicaStatefulSet(metadata, selector, {
      serviceName,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: props.serviceAccountName ?? SERVICE_ACCOUNTS.postgres,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          securityContext: podSecurityContext(POSTGRES_UID),
          containers: [
            {
              name: POSTGRES_NAME,
              image: postgres.image,
              imagePullPolicy: 'IfNotPresent',
              args: [
                'postgres',
                ...Object.entries(connectionSettings(postgres.maxConnections)).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
              ],
              ports: [{ name: 'postgres', containerPort: postgres.port, protocol: 'TCP' }],
              env: [
                { name: 'POSTGRES_USER', valueFrom: credential(this.credentials.usernameKey) },
                { name: 'POSTGRES_PASSWORD', valueFrom: credential(this.credentials.passwordKey) },
                { name: 'POSTGRES_DB', value: postgres.database },
                // A subdirectory: the volume root holds lost+found on many provisioners, which initdb refuses.
                { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                { name: 'PGPORT', value: String(postgres.port) },
              ],
              resources: resourceRequirements(postgres.resources),
              startupProbe: {
                exec: { command: ['sh', '-c', 'pg_isready -h 127.0.0.1 -p "$PGPORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB"'] },
                periodSeconds: 5,
                failureThreshold: 60,
                timeoutSeconds: 4,
              },
              readinessProbe: {
                exec: { command: ['sh', '-c', 'pg_isready -h 127.0.0.1 -p "$PGPORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB"'] },
                periodSeconds: 10,
                failureThreshold: 3,
                timeoutSeconds: 4,
              },
              livenessProbe: {
                tcpSocket: { port: 'postgres' },
                periodSeconds: 15,
                failureThreshold: 4,
                timeoutSeconds: 4,
              },
              securityContext: containerSecurityContext(POSTGRES_UID),
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/postgresql/data' },
                { name: 'run', mountPath: '/var/run/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'shm', mountPath: '/dev/shm' },
              ],
            },
          ],
          volumes: [
            { name: 'run', emptyDir: { sizeLimit: '16Mi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
            // A parallel index build keeps its whole graph (maintenance_work_mem, up to a quarter
            // of the memory limit: see the Jobs' POSTGRES_MEMORY_LIMIT_MB) in shared memory; the
            // runtime's default /dev/shm of 64 MB would fail it.
            {
              name: 'shm',
              emptyDir: {
                medium: 'Memory',
                sizeLimit: `${Math.max(64, Math.floor(quantityToMebibytes(postgres.resources.limits.memory) / 4))}Mi`,
              },
            },
          ],
        },
      },
      volumeClaimTemplates: [readWriteOnceClaim({ name: 'data', labels }, storageClassName, postgres.storageSize)],
    });
    this.statefulSet = new ApiObject(this, 'statefulset', statefulSet);
  }

  /** PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD (from the Secret) for a container that connects directly. */
  connectionEnv(): IEnvVar[] {
    return [
      { name: 'PGHOST', value: this.host },
      { name: 'PGPORT', value: String(this.port) },
      { name: 'PGDATABASE', value: this.database },
      ...credentialsEnv(this.credentials),
    ];
  }
}
