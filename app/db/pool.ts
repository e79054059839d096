import pg from 'pg';
import { SparseVector, toSql } from 'pgvector';
import type { DatabaseConfig } from '../config.js';
import type { Logger } from '../observability/logger.js';

export interface PoolOptions {
  max?: number;
  /** Per-statement limit enforced by the server, so a runaway query cannot pin a connection. */
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  log?: Logger;
}

/**
 * The service's Postgres pool. Connections open lazily, so creating the pool never fails
 * when the database is still starting; callers find out on the first query.
 */
export function createPool(database: DatabaseConfig, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    ...connectionTarget(database),
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    application_name: 'quote-api',
    keepAlive: true,
  });
  // An idle client losing its server (Postgres restart, failover) emits 'error' on the pool;
  // unhandled, that would crash the process. The pool drops the client and reconnects later.
  pool.on('error', (error) => {
    options.log?.warn({ err: error.message }, 'idle Postgres connection failed; it will be replaced');
  });
  return pool;
}

/** Where `pg` connects: the URL when one is configured, else the PG* parts. */
export function connectionTarget(database: DatabaseConfig): pg.PoolConfig {
  return database.connectionString
    ? { connectionString: database.connectionString }
    : { host: database.host, port: database.port, user: database.user, password: database.password, database: database.database };
}

/** Serialises a vector for a `vector` query parameter (pgvector's text format). */
export function toVectorLiteral(vector: number[]): string {
  return toSql(vector) as string;
}

/** Serialises a vector as pgvector's `sparsevec` text ({index:value,...}/dimensions): only its non-zeros. */
export function toSparseLiteral(vector: number[]): string {
  return new SparseVector(vector, undefined).toPostgres(); // no dimensions: read from a dense array
}
