import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../app/db/migrate.js';
import { toSparseLiteral, toVectorLiteral } from '../../app/db/pool.js';
import { ensureVectorIndex, SMALL_TABLE_ROWS, SPARSE_INDEX_NAME } from '../../app/db/vector-index.js';
import { LOCAL_EMBEDDING_MODEL, LocalEmbedder } from '../../app/embeddings/local.js';
import { contentHash, embeddingText } from '../../app/quotes/quote-text.js';
import { DEFAULT_SEARCH_EFFORT, nearestStatements, QuoteRepository } from '../../app/quotes/repository.js';
import { startTestPostgres, testPool, type TestPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';

// The local embedder's rows are searched through a sparsevec index of their own (see
// SPARSE_INDEX_NAME): these tests check that the search uses it, finds what an exact ranking of
// the stored vectors finds, and that the index is there exactly while the table is small.

let database: TestPostgres;
let pool: pg.Pool;
const embedder = new LocalEmbedder();
const QUOTES = loadQuoteFixture().slice(0, 400);
const QUERIES = ['courage and fear', 'love conquers', 'time is money', 'knowledge imagination', 'friendship', 'wisdom of silence'];

const sparseIndexExists = async () =>
  (await pool.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [SPARSE_INDEX_NAME])).rows[0]!.present;

/** Ground truth: the stored dense vectors ranked exactly (no index), as the API ranks. */
async function exactIds(vector: number[], limit: number): Promise<number[]> {
  const { rows } = await pool.query<{ id: number }>(
    `SELECT id::float8 AS id FROM (SELECT id, embedding <=> $1::vector AS d FROM quotes WHERE embedding_model = $3 OFFSET 0) t
      ORDER BY round((1 - d)::numeric, 4) DESC, id LIMIT $2`,
    [toVectorLiteral(vector), limit, LOCAL_EMBEDDING_MODEL],
  );
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  database = await startTestPostgres();
  pool = testPool(database, 2);
  await migrate(pool);
  const { vectors } = await embedder.embed(QUOTES.map((q) => embeddingText(q.quote, q.author)));
  for (const [i, q] of QUOTES.entries()) {
    await pool.query(
      'INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model) VALUES ($1, $2, $3, $4::vector, $5) ON CONFLICT DO NOTHING',
      [q.quote, q.author, contentHash(q.quote, q.author), toVectorLiteral(vectors[i]!), LOCAL_EMBEDDING_MODEL],
    );
  }
  await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: 'auto' });
});
afterAll(async () => {
  await pool?.end();
  await database?.stop();
});

describe('sparse index for the local embedder', () => {
  it('is built beside the main index on a small table, and the search reads it', async () => {
    expect(await sparseIndexExists()).toBe(true);
    const [vector] = (await embedder.embed(['courage and fear'])).vectors;
    const { settings, select } = nearestStatements(DEFAULT_SEARCH_EFFORT, toSparseLiteral(vector!), LOCAL_EMBEDDING_MODEL, 10);
    const result = (await pool.query(`${settings}; EXPLAIN ${select}`)) as unknown as pg.QueryResult<{ 'QUERY PLAN': string }>[];
    const plan = result[result.length - 1]!.rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(new RegExp(`Index Scan using ${SPARSE_INDEX_NAME}`));
    // Its effort is hnsw.ef_search alone (no IVFFlat setting for the embedded database to run).
    expect(settings).toBe('SET LOCAL hnsw.ef_search = 100; SET LOCAL enable_seqscan = off');
  });

  it('finds what an exact ranking of the dense vectors finds, with the same scores', async () => {
    const repository = new QuoteRepository(pool);
    const { vectors } = await embedder.embed(QUERIES);
    let found = 0;
    for (const vector of vectors) {
      const rows = await repository.search({ vector, model: LOCAL_EMBEDDING_MODEL, limit: 10 });
      const exact = await exactIds(vector, 10);
      found += rows.filter((r) => exact.includes(r.id)).length;
      // Every returned score is the dense cosine similarity, rounded as the API shows it.
      for (const row of rows) {
        const { rows: dense } = await pool.query<{ score: number }>(
          'SELECT round((1 - (embedding <=> $1::vector))::numeric, 4)::float8 AS score FROM quotes WHERE id = $2',
          [toVectorLiteral(vector), row.id],
        );
        expect(row.score).toBeCloseTo(dense[0]!.score, 3);
      }
    }
    expect(found / (QUERIES.length * 10)).toBeGreaterThanOrEqual(0.9);
  });

  it('leaves other models to the main index', async () => {
    const { settings, select } = nearestStatements(DEFAULT_SEARCH_EFFORT, toVectorLiteral(new Array(1536).fill(0.01)), 'other-model', 10);
    const result = (await pool.query(`${settings}; EXPLAIN ${select}`)) as unknown as pg.QueryResult<{ 'QUERY PLAN': string }>[];
    expect(result[result.length - 1]!.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using quotes_embedding_idx/);
  });

  it('is dropped once the table outgrows SMALL_TABLE_ROWS, and searches then use the main index', async () => {
    // Rows without vectors are enough to make the table large (the size counts every row).
    await pool.query(
      `INSERT INTO quotes (quote, author, content_hash) SELECT 'filler ' || n, 'Filler', 'filler-' || n FROM generate_series(1, $1) AS n`,
      [SMALL_TABLE_ROWS + 1],
    );
    try {
      await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: { m: 16, efConstruction: 64 } });
      expect(await sparseIndexExists()).toBe(false);
      const repository = new QuoteRepository(pool);
      const [vector] = (await embedder.embed(['love conquers'])).vectors;
      const rows = await repository.search({ vector: vector!, model: LOCAL_EMBEDDING_MODEL, limit: 5 });
      expect(rows.map((r) => r.id)).toEqual(await exactIds(vector!, 5));
    } finally {
      await pool.query("DELETE FROM quotes WHERE author = 'Filler'");
      await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: { m: 16, efConstruction: 64 } });
    }
    expect(await sparseIndexExists()).toBe(true);
  });

  it('is not built while a local-model row has more non-zeros than it takes, so the migration still succeeds', async () => {
    const dense = `[${Array.from({ length: 1536 }, (_, i) => ((i % 7) + 1) / 10).join(',')}]`;
    await pool.query(`DROP INDEX ${SPARSE_INDEX_NAME}`);
    await pool.query(
      `INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model) VALUES ('A dense row', 'Hand', 'dense-row', $1::vector, $2)`,
      [dense, LOCAL_EMBEDDING_MODEL],
    );
    try {
      await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: { m: 16, efConstruction: 64 } });
      expect(await sparseIndexExists()).toBe(false);
      const [vector] = (await embedder.embed(['love conquers'])).vectors;
      expect(await new QuoteRepository(pool).search({ vector: vector!, model: LOCAL_EMBEDDING_MODEL, limit: 5 })).toHaveLength(5);
    } finally {
      await pool.query(`DELETE FROM quotes WHERE content_hash = 'dense-row'`);
    }
    await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: { m: 16, efConstruction: 64 } });
    expect(await sparseIndexExists()).toBe(true);
  });

  it('is not built where pgvector has no sparsevec (before 0.7), and searches use the main index', async () => {
    // The real server, except that it answers the type probe as pgvector 0.6 would.
    const olderPgvector = {
      query: (text: string, values?: unknown[]) =>
        text.includes("to_regtype('sparsevec')") ? Promise.resolve({ rows: [{ supported: false }] }) : pool.query(text, values),
    } as unknown as pg.Pool;
    await pool.query(`DROP INDEX ${SPARSE_INDEX_NAME}`);
    try {
      await ensureVectorIndex(olderPgvector, { kind: 'hnsw', hnsw: { m: 16, efConstruction: 64 } });
      expect(await sparseIndexExists()).toBe(false);
      const [vector] = (await embedder.embed(['time is money'])).vectors;
      const rows = await new QuoteRepository(pool).search({ vector: vector!, model: LOCAL_EMBEDDING_MODEL, limit: 5 });
      expect(rows).toHaveLength(5);
    } finally {
      await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: { m: 16, efConstruction: 64 } });
    }
    expect(await sparseIndexExists()).toBe(true);
  });
});
