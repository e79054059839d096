import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { appAsset } from '../assets.js';

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

/**
 * Applies pending migrations in version order, each in its own transaction.
 * A session advisory lock makes concurrent runs (two pods starting at once) take turns;
 * the one that waited then finds everything applied and does nothing.
 */
export async function migrate(pool: pg.Pool, options: { dir?: string; log?: (line: string) => void } = {}): Promise<MigrationResult> {
  const log = options.log ?? (() => {});
  const migrations = await loadMigrations(options.dir);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
      );
      const applied = new Map(rows.map((r) => [r.version, r]));
      for (const [version, row] of applied) {
        const known = migrations.find((m) => m.version === version);
        if (known && known.checksum !== row.checksum) {
          throw new Error(
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
          await client.query(migration.sql);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${label} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        log(`applied migration ${label}`);
        result.applied.push(label);
      }
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** The latest migration version the code knows, for /readyz to compare against the database. */
export async function latestMigrationVersion(dir?: string): Promise<number> {
  const migrations = await loadMigrations(dir);
  return migrations.length ? migrations[migrations.length - 1]!.version : 0;
}
