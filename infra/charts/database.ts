import type { IEnvVar } from 'kubernetes-models/v1';
import type { Labels } from '../labels.js';
import type { EnvironmentSettings } from '../settings-schema.js';
import { SECRETS } from '../secrets.js';
import { inClusterHost } from './props.js';

/** Names of the database objects, shared by the charts, NetworkPolicies and monitoring. */
/** The in-cluster Postgres (StatefulSet, Service, selector name). */
export const POSTGRES_NAME = 'postgres';
export const PGBOUNCER_NAME = 'pgbouncer';
/** The CloudNativePG Cluster; the operator names its Services `<cluster>-rw|-ro|-r` and its app Secret `<cluster>-app`. */
export const CNPG_CLUSTER_NAME = POSTGRES_NAME;
/** The CloudNativePG Pooler (its Service has the same name). */
export const CNPG_POOLER_NAME = `${CNPG_CLUSTER_NAME}-pooler-rw`;
/** CloudNativePG always serves Postgres on 5432. */
export const CNPG_PORT = 5432;

type PostgresSettings = EnvironmentSettings['postgres'];

/** Where a database's username and password are: a Secret and its two keys. */
export interface DatabaseCredentials {
  secretName: string;
  usernameKey: string;
  passwordKey: string;
}

/** qctl's generated Secret (SECRETS.postgres); CloudNativePG's `<cluster>-app` has the same keys. */
export function generatedCredentials(secretName: string = SECRETS.postgres.name): DatabaseCredentials {
  return { secretName, usernameKey: SECRETS.postgres.keys.username, passwordKey: SECRETS.postgres.keys.password };
}

/** PGUSER and PGPASSWORD as references to the credentials Secret. */
export function credentialsEnv(credentials: DatabaseCredentials): IEnvVar[] {
  const secret = (key: string) => ({ secretKeyRef: { name: credentials.secretName, key } });
  return [
    { name: 'PGUSER', valueFrom: secret(credentials.usernameKey) },
    { name: 'PGPASSWORD', valueFrom: secret(credentials.passwordKey) },
  ];
}

/**
 * What a client needs to reach a database server or pooler, and what a NetworkPolicy needs to
 * admit it. The stack's database parts expose it (`Postgres`, `Cnpg` and its `.pooler`,
 * `PgBouncer`, `ExternalDatabase`), and the API, the Jobs, the ConfigMap, the pooler and the
 * NetworkPolicies are wired to it rather than to names derived from settings.
 */
export interface DatabaseEndpoint {
  /** The host clients connect to (an in-cluster Service's DNS name, or the managed database's host). */
  readonly host: string;
  /** The port clients connect to (the Service's port). */
  readonly port: number;
  /** Its Service's name in the app namespace (`host` is that Service's DNS name); undefined outside the cluster. */
  readonly serviceName?: string;
  readonly credentials: DatabaseCredentials;
  /** Selector labels of its pods; undefined for a database outside the cluster. */
  readonly selector?: Labels;
  /** The port its pods listen on, which NetworkPolicies name. @default port */
  readonly containerPort?: number;
}

/** A managed database outside the cluster (`postgres.mode` external): no pods, TLS required. */
export class ExternalDatabase implements DatabaseEndpoint {
  readonly credentials = generatedCredentials();
  constructor(
    readonly host: string,
    readonly port: number,
  ) {}
}

/** Where each client of the database connects, and with which credentials. */
export interface DatabaseEndpoints {
  /** Host the Jobs and the exporter use: the server itself (they hold session state a transaction pooler drops). */
  directHost: string;
  /** Host the API uses: the pooler when on, else directHost. */
  apiHost: string;
  /** Port of both (the pooler's Service listens on the database port). */
  port: number;
  /** Secret with `username` and `password` keys: qctl's generated one, or the operator's `<cluster>-app`. */
  credentialsSecret: string;
}

export function databaseEndpoints(postgres: PostgresSettings, namespace: string): DatabaseEndpoints {
  const pooled = postgres.pooler === 'pgbouncer';
  if (postgres.mode === 'cnpg') {
    const directHost = inClusterHost(`${CNPG_CLUSTER_NAME}-rw`, namespace);
    return {
      directHost,
      apiHost: pooled ? inClusterHost(CNPG_POOLER_NAME, namespace) : directHost,
      port: CNPG_PORT,
      credentialsSecret: `${CNPG_CLUSTER_NAME}-app`,
    };
  }
  const directHost = postgres.mode === 'external' ? postgres.externalHost! : inClusterHost(POSTGRES_NAME, namespace);
  return {
    directHost,
    apiHost: pooled ? inClusterHost(PGBOUNCER_NAME, namespace) : directHost,
    port: postgres.port,
    credentialsSecret: SECRETS.postgres.name,
  };
}
