import type { EnvironmentSettings } from '../settings-schema.js';
import { SECRETS } from '../secrets.js';
import { inClusterHost } from './props.js';
import { POSTGRES_NAME } from './postgres.js';

/** Names of the database objects, shared by the charts, NetworkPolicies and monitoring. */
export const PGBOUNCER_NAME = 'pgbouncer';
/** The CloudNativePG Cluster; the operator names its Services `<cluster>-rw|-ro|-r` and its app Secret `<cluster>-app`. */
export const CNPG_CLUSTER_NAME = POSTGRES_NAME;
/** The CloudNativePG Pooler (its Service has the same name). */
export const CNPG_POOLER_NAME = `${CNPG_CLUSTER_NAME}-pooler-rw`;
/** CloudNativePG always serves Postgres on 5432. */
export const CNPG_PORT = 5432;

type PostgresSettings = EnvironmentSettings['postgres'];

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
