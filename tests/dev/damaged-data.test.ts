import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startService, vectorIndexSettings } from '../../app/main.js';
import { migrate } from '../../app/db/migrate.js';
import { ensureVectorIndex } from '../../app/db/vector-index.js';
import { LOCAL_EMBEDDING_MODEL } from '../../app/embeddings/local.js';
import { startEmbeddedPostgres } from '../../bin/dev/embedded-postgres.js';
import { runQctl } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { testConfig } from '../app/support.js';
import { startDevProcess } from './dev-process.js';

// Real PGlite files, damaged the way a bad disk or a killed copy damages them: garbage over a
// table, an index or the TOAST data, or a table file cut to nothing. Every case must be named
// (file, relation, fix), never served as "ready" and never re-seeded over.
const env = { VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '4', DATABASE_URL: undefined, PGHOST: undefined, OPENAI_API_KEY: undefined };
let dir: string;
let template: string;
const files: { table: string; index: string; toast: string } = { table: '', index: '', toast: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qctl-damaged-'));
  template = join(dir, 'template', 'pgdata');
  const database = await startEmbeddedPostgres({ dataDir: template });
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  try {
    await migrate(pool);
    // Dense vectors do not compress: every embedding lives in the TOAST table, as OpenAI's do.
    const vector = `[${Array.from({ length: 1536 }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5).join(',')}]`;
    await pool.query(
      `INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model)
       SELECT 'Damaged data test quote ' || g, 'Tester ' || (g % 5), md5(g::text), $1::vector, $2
         FROM generate_series(1, 60) g`,
      [vector, LOCAL_EMBEDDING_MODEL],
    );
    await ensureVectorIndex(pool, vectorIndexSettings(loadConfig({ ...env, DATABASE_URL: database.url })));
    const { rows } = await pool.query<{ table: string; index: string; toast: string }>(
      `SELECT pg_relation_filepath('quotes') AS table, pg_relation_filepath('quotes_embedding_idx') AS index,
              pg_relation_filepath(reltoastrelid) AS toast FROM pg_class WHERE oid = 'quotes'::regclass`,
    );
    Object.assign(files, rows[0]);
  } finally {
    await pool.end();
    await database.stop();
  }
  expect(statSync(join(template, files.toast)).size).toBeGreaterThan(0);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the template dev directory with one relation file damaged. */
function damagedCopy(name: string, file: string, how: 'garbage' | 'truncate'): { devDir: string; dataDir: string } {
  const devDir = join(dir, name);
  const dataDir = join(devDir, 'pgdata');
  cpSync(template, dataDir, { recursive: true });
  const path = join(dataDir, file);
  if (how === 'truncate') {
    truncateSync(path, 0);
  } else {
    const fd = openSync(path, 'r+');
    const size = statSync(path).size;
    for (let offset = 0; offset < size; offset += 8192) writeSync(fd, randomBytes(8192), 0, 8192, offset);
    closeSync(fd);
  }
  return { devDir, dataDir };
}

async function devOnce(devDir: string, extra: string[] = []) {
  const result = await runQctl(['dev', '--dev-dir', devDir, '--port', String(await freePort()), '--output', 'json', ...extra], {
    env,
  });
  const errors = String(result.stderr)
    .split('\n')
    .filter((l) => l.startsWith('qctl:'));
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), errors };
}

describe('qctl dev on damaged data', () => {
  it('a damaged table file is named with its relation and the way back, never "ready"', { timeout: 120_000 }, async () => {
    const { devDir, dataDir } = damagedCopy('heap', files.table, 'garbage');
    const run = await devOnce(devDir);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`the database in ${dataDir} is damaged (invalid page in block`);
    expect(run.errors[0]).toContain(`"${files.table}"; table quotes): the rows of quotes (${files.table}) are lost`);
    expect(run.errors[0]).toContain(`mv ${dataDir} ${dataDir}.broken) and run qctl dev again to re-seed, or restore a backup`);
    expect(run.stderr).not.toMatch(/internal error|first start: seeding/);
  });

  it('a damaged vector index says the table is intact and qctl dev --reindex rebuilds it', { timeout: 180_000 }, async () => {
    const { devDir, dataDir } = damagedCopy('index', files.index, 'garbage');
    const run = await devOnce(devDir);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.errors).toEqual([
      expect.stringContaining(
        `the database in ${dataDir} is damaged (invalid page in block 0 of relation "${files.index}"; index quotes_embedding_idx)`,
      ),
    ]);
    expect(run.errors[0]).toMatch(/: the table data is intact: rebuild it with qctl dev --reindex$/);

    const dev = await startDevProcess(['--dev-dir', devDir, '--port', String(await freePort()), '--reindex'], env);
    try {
      expect(dev.stderr()).toContain('rebuilding the indexes of the quotes');
      expect((await fetch(`${dev.ready.url}/readyz`)).status).toBe(200);
      const search = await fetch(`${dev.ready.url}/quotes/search?q=damaged`);
      expect(search.status).toBe(200);
      expect(((await search.json()) as unknown[]).length).toBeGreaterThan(0);
    } finally {
      dev.child.kill('SIGINT');
      await dev.child;
    }
  });

  it('damaged TOAST data is named as the long values of quotes, with its file', { timeout: 120_000 }, async () => {
    const { devDir, dataDir } = damagedCopy('toast', files.toast, 'garbage');
    const run = await devOnce(devDir);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`the database in ${dataDir} is damaged (invalid page in block`);
    expect(run.errors[0]).toMatch(/; toast pg_toast_\d+ \(the TOAST data of quotes\)\): the long values of quotes/);
    expect(run.errors[0]).toContain(`(${files.toast}) are lost`);
  });

  it('a table file cut to nothing is refused, not taken for a new database and seeded', { timeout: 120_000 }, async () => {
    const { devDir, dataDir } = damagedCopy('truncated', files.table, 'truncate');
    const run = await devOnce(devDir);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).not.toContain('first start');
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`the database in ${dataDir} is damaged (could not read block`);
    expect(run.errors[0]).toContain(
      `"${files.table}": read only 0 of 8192 bytes; table quotes): the rows of quotes (${files.table}) are lost`,
    );
    // Nothing was written over the loss: the file is still empty and no seed was begun.
    expect(statSync(join(dataDir, files.table)).size).toBe(0);
    expect(existsSync(join(devDir, 'first-seed.json'))).toBe(false);
  });
});

describe('/readyz on damaged data', () => {
  it('answers 503 naming the damaged index and its fix while searches fail, and 200 on intact data', { timeout: 120_000 }, async () => {
    const { dataDir } = damagedCopy('readyz', files.index, 'garbage');
    const database = await startEmbeddedPostgres({ dataDir });
    const service = await startService(testConfig(database.url, { VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '4' }), {});
    try {
      await service.databaseReady;
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { database: string; message: string; damage: { kind: string; relation: string; file: string } };
      expect(body.database).toBe('damaged');
      expect(body.damage).toMatchObject({ kind: 'index', relation: 'quotes_embedding_idx', file: files.index });
      expect(body.message).toMatch(/the table data is intact: rebuild the index with REINDEX INDEX quotes_embedding_idx$/);
      expect((await fetch(`${service.url}/quotes/search?q=damaged`)).status).toBe(500);

      // The fix the message gives works, and readiness follows once its short cache expires.
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      await pool.query('REINDEX INDEX quotes_embedding_idx');
      await pool.end();
      await expect.poll(async () => (await fetch(`${service.url}/readyz`)).status, { timeout: 30_000, interval: 500 }).toBe(200);
      expect((await fetch(`${service.url}/quotes/search?q=damaged`)).status).toBe(200);
    } finally {
      await service.stop();
      await database.stop();
    }
  });
});
