import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { appAsset } from '../assets.js';
import { ensureVectorIndex, type IndexOutcome, type VectorIndexSettings } from './vector-index.js';

export const MIGRATIONS_DIR = appAsset('db', 'migrations');

// Any constant works, as long as every pod uses the same one.
const MIGRATION_LOCK_KEY = 7_351_902_214;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
  /** What happened to the vector index, when migrate was asked to ensure it. */
  vectorIndex?: IndexOutcome;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file "${file}" must be named NNNN_name.sql`);
    const sql = await readFile(join(dir, file), 'utf8');
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  const versions = new Set<number>();
  for (const m of migrations) {
    if (versions.has(m.version)) throw new Error(`two migrations share version ${m.version}: renumber one of them`);
    versions.add(m.version);
  }
  return migrations;
}

export interface MigrateOptions {
  dir?: string;
  log?: (line: string) => void;
  /** Also create or rebuild the vector index, still holding the migration lock. */
  vectorIndex?: VectorIndexSettings;
}

/** A migration that failed; the message is one line naming the fix. Nothing of it was applied. */
export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/**
 * Runs `work` on one connection holding the migration advisory lock, so concurrent runs
 * (two pods starting at once, a seed beside a migrate Job) take turns: schema changes and
 * vector index builds never overlap. On embedded PGlite, one session shared by every
 * connection, the lock is re-entrant and does not serialize; there transactions do.
 */
export async function withMigrationLock<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/**
 * withMigrationLock for vector index work (the seeder's drop and rebuild). On embedded
 * PGlite the advisory lock does not serialize, so there the work runs in a transaction,
 * which its socket server never interleaves with another connection's statements. A real
 * server needs no transaction (and is better without: a rebuild's DROP INDEX would then
 * block searches until the new index is built).
 */
export async function withIndexLock<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withMigrationLock(pool, (client) => serializedIndexWork(client, () => work(client)));
}

async function serializedIndexWork<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  const { rows } = await client.query<{ embedded: boolean }>("SELECT version() LIKE '%PGlite%' AS embedded");
  if (!rows[0]!.embedded) return work();
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Takes the migration lock until the current transaction ends, for index work done inside
 * a transaction (the re-embed swap rebuilds the index in the transaction that swaps vectors).
 */
export async function takeMigrationLockForTransaction(client: pg.PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
}

/**
 * Applies pending migrations in version order, each in its own transaction, then (when
 * given settings) ensures the vector index, all under the migration lock: the one that
 * waited finds everything applied and the index built, and does nothing.
 * The bookkeeping table is created inside the first migration's transaction, so a first
 * migration that fails leaves the database as it was.
 */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<MigrationResult> {
  const log = options.log ?? (() => {});
  const migrations = await loadMigrations(options.dir);
  return withMigrationLock(pool, async (client) => {
    const applied = await appliedMigrations(client);
    for (const [version, row] of applied) {
      const known = migrations.find((m) => m.version === version);
      if (known && known.checksum !== row.checksum) {
        throw new MigrationError(
          `migration ${version}_${row.name} was changed after it was applied: add a new migration instead of editing an applied one`,
        );
      }
    }
    const result: MigrationResult = { applied: [], alreadyApplied: applied.size };
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      const label = `${String(migration.version).padStart(4, '0')}_${migration.name}`;
      await client.query('BEGIN');
      try {
        await client.query(SCHEMA_MIGRATIONS_TABLE);
        // Claim the version first: if another runner got here despite the lock (a server
        // without real advisory locks, such as embedded PGlite), this one steps aside.
        const claim = await client.query(
          'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3) ON CONFLICT (version) DO NOTHING',
          [migration.version, migration.name, migration.checksum],
        );
        if (claim.rowCount === 0) {
          await client.query('ROLLBACK');
          continue;
        }
        for (const extension of requiredExtensions(migration.sql)) await ensureExtension(client, extension);
        await client.query(migration.sql);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(`migration ${label} failed: ${reason}`, { cause: error });
      }
      log(`applied migration ${label}`);
      result.applied.push(label);
    }
    const index = options.vectorIndex;
    if (index) result.vectorIndex = await serializedIndexWork(client, () => ensureVectorIndex(client, index));
    return result;
  });
}

const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function appliedMigrations(client: pg.PoolClient): Promise<Map<number, { name: string; checksum: string }>> {
  const { rows: exists } = await client.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!exists[0]!.present) return new Map();
  const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  );
  return new Map(rows.map((r) => [r.version, r]));
}

/** The extensions a migration creates (`CREATE EXTENSION IF NOT EXISTS name`). */
export function requiredExtensions(sql: string): string[] {
  return [...sql.matchAll(/^\s*CREATE\s+EXTENSION\s+IF\s+NOT\s+EXISTS\s+"?(\w+)"?/gim)].map((m) => m[1]!);
}

/**
 * Makes sure `name` is installed before the migration's own CREATE EXTENSION IF NOT EXISTS
 * runs (a no-op then, which needs no privilege). Creating it is left to the migration's
 * role only when it is missing; a role that may not (pgvector is not a trusted extension,
 * so only a superuser or a managed service's admin role can) gets the statement to hand on.
 */
async function ensureExtension(client: pg.PoolClient, name: string): Promise<void> {
  const { rows } = await client.query<{ installed: boolean }>(
    'SELECT installed_version IS NOT NULL AS installed FROM pg_available_extensions WHERE name = $1',
    [name],
  );
  if (!rows[0]) {
    throw new Error(
      `the server has no "${name}" extension to install: use a PostgreSQL with it (the pgvector/pgvector image, ` +
        `the postgresql-NN-pgvector package, or a managed service that offers ${name})`,
    );
  }
  if (rows[0].installed) return;
  await client.query('SAVEPOINT create_extension');
  try {
    await client.query(`CREATE EXTENSION IF NOT EXISTS "${name}"`);
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT create_extension');
    if ((error as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw error;
    const { rows: who } = await client.query<{ role: string; database: string }>(
      'SELECT current_user AS role, current_database() AS database',
    );
    throw new Error(extensionPrivilegeMessage(name, who[0]!.role, who[0]!.database), { cause: error });
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

export function extensionPrivilegeMessage(extension: string, role: string, database: string): string {
  return (
    `role "${role}" may not create the extension "${extension}": a superuser must run ` +
    `CREATE EXTENSION IF NOT EXISTS ${extension}; in database "${database}" once ` +
    `(RDS/Aurora: as the master user; Cloud SQL: as a cloudsqlsuperuser user; Azure: allow-list ${extension} in azure.extensions, then as the admin user; ` +
    `CloudNativePG: in spec.bootstrap.initdb.postInitApplicationSQL), then run migrate again (docs/deploy.md, "Database privileges")`
  );
}

/** The latest migration version the code knows, for /readyz to compare against the database. */
export async function latestMigrationVersion(dir?: string): Promise<number> {
  const migrations = await loadMigrations(dir);
  return migrations.length ? migrations[migrations.length - 1]!.version : 0;
}
