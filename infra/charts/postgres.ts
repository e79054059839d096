import { ApiObject } from 'cdk8s';
import type { SynthContext } from '../context.js';
import { SUPERUSER_RESERVED_CONNECTIONS } from '../connection-budget.js';
import { BASE_SETTINGS } from '../environments.js';
import { addStatefulSetServices, readWriteOnceClaim, servicePort, singleReplicaStatefulSet } from '../objects.js';
import { SECRETS } from '../secrets.js';
import type { ManifestScope } from '../scope.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { containerSecurityContext, podSecurityContext, quantityToMebibytes, resourceRequirements } from './pod.js';
import { labelsFor, selectorFor, stackPropsFrom, type ResourceSettings, type StackProps } from './props.js';

export const POSTGRES_NAME = 'postgres';
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
export function buildPostgres(scope: ManifestScope, props: PostgresProps | undefined): void {
  if (!props) return;
  const postgres = { ...BASE_SETTINGS.postgres, ...props };
  const chart = scope.file('20-postgres.yaml');
  const labels = labelsFor(props, POSTGRES_NAME, 'database');
  const selector = selectorFor(props, POSTGRES_NAME);
  const metadata = { name: POSTGRES_NAME, namespace: props.namespace, labels };
  const storageClassName = postgres.storageClassName;

  const serviceName = addStatefulSetServices(chart, metadata, selector, [servicePort('postgres', postgres.port)]);

  const credential = (key: string) => ({ secretKeyRef: { name: SECRETS.postgres.name, key } });
  const statefulSet = singleReplicaStatefulSet(metadata, selector, {
    serviceName,
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: SERVICE_ACCOUNTS.postgres,
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
              { name: 'POSTGRES_USER', valueFrom: credential(SECRETS.postgres.keys.username) },
              { name: 'POSTGRES_PASSWORD', valueFrom: credential(SECRETS.postgres.keys.password) },
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
  new ApiObject(chart, 'statefulset', statefulSet);
}
