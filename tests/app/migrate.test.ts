import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MigrationError } from '../../app/db/migrate.js';
import { ensureVectorIndex, VECTOR_INDEX_NAME, type VectorIndexKind } from '../../app/db/vector-index.js';
import { startTestPostgres, testPool, type TestPostgres } from '../helpers/postgres.js';
import { insertPseudoQuotes } from '../helpers/vectors.js';

const indexDef = async (pool: pg.Pool) =>
  (await pool.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [VECTOR_INDEX_NAME])).rows[0]?.indexdef;

describe('migrate as a database owner without superuser', () => {
  let database: TestPostgres;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await startTestPostgres({ extensions: false });
    pool = testPool(database, 2);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.stop();
  });

  it('fails with one line naming the statement a superuser must run, and leaves nothing behind', async () => {
    const error = await migrate(pool).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^migration 0001_quotes failed: role "\w+" may not create the extension "vector"/);
    expect(message).toContain('a superuser must run CREATE EXTENSION IF NOT EXISTS vector;');
    expect(message).toMatch(/RDS.*Cloud SQL.*azure\.extensions.*postInitApplicationSQL/);

    const tables = await database.admin<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
    expect(tables).toEqual([]);
    const extensions = await database.admin<{ extname: string }>("SELECT extname FROM pg_extension WHERE extname IN ('vector', 'pg_trgm')");
    expect(extensions).toEqual([]);
  });

  it('succeeds once a superuser created the extension, creating the trusted pg_trgm itself', async () => {
    await database.admin('CREATE EXTENSION vector');
    const result = await migrate(pool, { vectorIndex: { kind: 'hnsw' } });
    expect(result.applied).toEqual(['0001_quotes']);
    expect(result.vectorIndex?.action).toBe('created');
    const extensions = await database.admin<{ extname: string }>(
      "SELECT extname FROM pg_extension WHERE extname IN ('vector', 'pg_trgm') ORDER BY extname",
    );
    expect(extensions.map((e) => e.extname)).toEqual(['pg_trgm', 'vector']);
    expect((await pool.query('SELECT count(*)::int AS n FROM quotes')).rows[0].n).toBe(0);
  });
});

describe('concurrent migrations while the index kind changes', () => {
  let database: TestPostgres;
  let setup: pg.Pool;
  beforeAll(async () => {
    database = await startTestPostgres();
    setup = testPool(database, 1);
    await migrate(setup, { vectorIndex: { kind: 'hnsw' } });
    await insertPseudoQuotes(setup, 0, 300);
  });
  afterAll(async () => {
    await setup?.end();
    await database?.stop();
  });

  for (const [round, kind] of [
    [1, 'ivfflat'],
    [2, 'hnsw'],
    [3, 'ivfflat'],
  ] as const) {
    it(`round ${round}: three runners switching to ${kind} all succeed and exactly one builds it`, async () => {
      const pools = [0, 1, 2].map(() => testPool(database, 2));
      try {
        const results = await Promise.allSettled(
          pools.map((pool) => migrate(pool, { vectorIndex: { kind: kind as VectorIndexKind, lists: 5 } })),
        );
        const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
        expect(failures).toEqual([]);
        const actions = results
          .map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof migrate>>>).value.vectorIndex!.action)
          .sort();
        expect(actions).toEqual(['rebuilt', 'unchanged', 'unchanged']);
        expect(await indexDef(setup)).toMatch(new RegExp(`USING ${kind}`));
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
    });
  }

  it('builds with the configured maintenance_work_mem and puts the session back afterwards', async () => {
    const client = await setup.connect();
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    try {
      await client.query(`DROP INDEX ${VECTOR_INDEX_NAME}`);
      const before = (await client.query<{ m: string }>('SHOW maintenance_work_mem')).rows[0]!.m;
      // 1 MB cannot hold the graph of 300 vectors of 1536 dimensions: pgvector says so.
      const outcome = await ensureVectorIndex(client, { kind: 'hnsw', build: { memoryMb: 1, parallelWorkers: 0 } });
      expect(outcome.action).toBe('created');
      expect(outcome.buildMs).toBeGreaterThan(0);
      expect(notices.join('\n')).toMatch(/hnsw graph no longer fits into maintenance_work_mem/);
      expect((await client.query<{ m: string }>('SHOW maintenance_work_mem')).rows[0]!.m).toBe(before);
    } finally {
      client.release();
    }
  });
});
