import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../app/db/migrate.js';
import { toVectorLiteral } from '../../app/db/pool.js';
import { ensureVectorIndex, SMALL_TABLE_ROWS } from '../../app/db/vector-index.js';
import {
  DEFAULT_SEARCH_EFFORT,
  efSearchForRows,
  nearestStatements,
  QuoteRepository,
  supportsIterativeScans,
} from '../../app/quotes/repository.js';
import { startTestPostgres, testPool, type TestPostgres } from '../helpers/postgres.js';
import { insertPseudoQuotes, pseudoVector } from '../helpers/vectors.js';

let database: TestPostgres;
let pool: pg.Pool;

// 600 quotes: "Popular Author" wrote every third one, "Rare Author" three, "Someone" the rest.
const ROWS = 600;
const authorOf = (i: number) => (i % 3 === 0 ? 'Popular Author' : i === 1 || i === 4 || i === 7 ? 'Rare Author' : 'Someone');
const queries = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008].map(pseudoVector);

/** Ground truth: every row's distance, sorted, with no index involved. */
async function exactIds(vector: number[], limit: number, author?: string): Promise<number[]> {
  const { rows } = await pool.query<{ id: number }>(
    `SELECT id::float8 AS id FROM (SELECT id, embedding <=> $1::vector AS d FROM quotes
      WHERE embedding_model = 'm' ${author ? 'AND lower(author) = $3' : ''} OFFSET 0) t
      ORDER BY round((1 - d)::numeric, 4) DESC, id LIMIT $2`,
    author ? [toVectorLiteral(vector), limit, author.toLowerCase()] : [toVectorLiteral(vector), limit],
  );
  return rows.map((r) => r.id);
}

/** 600 rows are few enough for the planner to prefer reading them all: this pool uses the indexes. */
function indexScanPool(): pg.Pool {
  const indexed = testPool(database, 1);
  indexed.on('connect', (client) => void client.query('SET enable_seqscan = off'));
  return indexed;
}

async function endIndexScanPool(indexed: pg.Pool): Promise<void> {
  await indexed.query('RESET enable_seqscan'); // PGlite: one session for every connection
  await indexed.end();
}

beforeAll(async () => {
  database = await startTestPostgres();
  pool = testPool(database, 2);
  await migrate(pool);
  await insertPseudoQuotes(pool, 0, ROWS, authorOf);
});
afterAll(async () => {
  await pool?.end();
  await database?.stop();
});

describe('search order', () => {
  it('ranks equal scores by id, the same on every run', async () => {
    await ensureVectorIndex(pool, { kind: 'hnsw' });
    // Five quotes with one and the same vector, inserted in an order unlike their ids.
    const twin = toVectorLiteral(pseudoVector(5000));
    for (const id of [9005, 9001, 9004, 9002, 9003]) {
      await pool.query(
        `INSERT INTO quotes (id, quote, author, content_hash, embedding, embedding_model) VALUES ($1, $2, 'Twin', $2, $3::vector, 'm')`,
        [id, `twin ${id}`, twin],
      );
    }
    const repository = new QuoteRepository(pool);
    for (let run = 0; run < 3; run++) {
      const rows = await repository.search({ vector: pseudoVector(5000), model: 'm', limit: 5 });
      expect(rows.map((r) => r.id)).toEqual([9001, 9002, 9003, 9004, 9005]);
      expect(new Set(rows.map((r) => r.score))).toEqual(new Set([1]));
    }
    const filtered = await repository.search({ vector: pseudoVector(5000), model: 'm', limit: 3, authors: ['Twin'] });
    expect(filtered.map((r) => r.id)).toEqual([9001, 9002, 9003]);
    await pool.query("DELETE FROM quotes WHERE author = 'Twin'");
  });
});

describe('search effort', () => {
  it('IVFFlat probes: all lists find the exact nearest, one list misses some', async () => {
    await ensureVectorIndex(pool, { kind: 'ivfflat', lists: 20 });
    const indexed = indexScanPool();
    try {
      const everyList = new QuoteRepository(indexed, { probes: 20 });
      const oneList = new QuoteRepository(indexed, { probes: 1 });
      let found = 0;
      for (const vector of queries) {
        const truth = await exactIds(vector, 10);
        expect((await everyList.search({ vector, model: 'm', limit: 10 })).map((r) => r.id)).toEqual(truth);
        const approximate = (await oneList.search({ vector, model: 'm', limit: 10 })).map((r) => r.id);
        found += approximate.filter((id) => truth.includes(id)).length;
      }
      expect(found).toBeLessThan(queries.length * 10);
    } finally {
      await endIndexScanPool(indexed);
    }
  });

  it('HNSW returns as many rows as asked even when ef_search is set below the limit', async () => {
    await ensureVectorIndex(pool, { kind: 'hnsw' });
    const rows = await new QuoteRepository(pool, { efSearch: 10 }).search({ vector: queries[0]!, model: 'm', limit: 50 });
    expect(rows).toHaveLength(50);
  });

  it('chooses ef_search by the table size unless it is set: 40 up to SMALL_TABLE_ROWS rows, 100 above', async () => {
    expect([efSearchForRows(1_423), efSearchForRows(SMALL_TABLE_ROWS), efSearchForRows(SMALL_TABLE_ROWS + 1)]).toEqual([40, 40, 100]);
    await pool.query('ANALYZE quotes');
    expect((await new QuoteRepository(pool).effectiveEffort()).efSearch).toBe(40); // 600 rows
    expect((await new QuoteRepository(pool, { efSearch: 64 }).effectiveEffort()).efSearch).toBe(64);
    // The planner's estimate is what is read: pretend the table grew past the threshold.
    await database.admin(`UPDATE pg_class SET reltuples = ${SMALL_TABLE_ROWS * 20} WHERE oid = 'quotes'::regclass`);
    try {
      expect((await new QuoteRepository(pool).effectiveEffort()).efSearch).toBe(100);
    } finally {
      await pool.query('ANALYZE quotes');
    }
  });

  it("builds the graph by the table size with hnsw 'auto': pgvector's 16/64 when small, 32/128 once it has grown", async () => {
    const indexdef = async () =>
      (await pool.query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'quotes_embedding_idx'")).rows[0]!.def;
    await pool.query('ANALYZE quotes');
    await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: 'auto' });
    expect(await indexdef()).not.toMatch(/m='32'/);
    expect((await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: 'auto' })).action).toBe('unchanged');
    // Rows are counted, not estimated: a bulk load is seen before any ANALYZE.
    await pool.query(`INSERT INTO quotes (quote, author, content_hash)
      SELECT 'filler ' || i, 'Filler', 'filler-' || i FROM generate_series(1, ${SMALL_TABLE_ROWS}) i`);
    try {
      expect((await ensureVectorIndex(pool, { kind: 'hnsw', hnsw: 'auto' })).action).toBe('rebuilt');
      expect(await indexdef()).toMatch(/m='32', ef_construction='128'/);
    } finally {
      await pool.query("DELETE FROM quotes WHERE author = 'Filler'");
      await pool.query('ANALYZE quotes');
      await ensureVectorIndex(pool, { kind: 'hnsw' });
    }
  });

  it('sends the chosen ef_search with the search', async () => {
    const single = testPool(database, 1);
    const sent: string[] = [];
    single.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        if (typeof args[0] === 'string') sent.push(args[0]);
        return query(...args);
      };
    });
    try {
      await pool.query('ANALYZE quotes');
      const repository = new QuoteRepository(single);
      await repository.search({ vector: queries[4]!, model: 'm', limit: 10 });
      expect(sent.join('\n')).toContain('SET LOCAL hnsw.ef_search = 40');
      sent.length = 0;
      await repository.search({ vector: queries[5]!, model: 'm', limit: 10 });
      expect(sent).toHaveLength(1); // the size is kept: one round trip again
    } finally {
      await single.end();
    }
  });

  it('sets the effort for its own transaction only', async () => {
    const single = testPool(database, 1);
    try {
      await single.query("SELECT '[1]'::vector"); // loads pgvector into the session, defining its settings
      const before = (await single.query<{ v: string }>('SHOW hnsw.ef_search')).rows[0]!.v;
      await new QuoteRepository(single, { efSearch: 321, probes: 7 }).search({ vector: queries[1]!, model: 'm', limit: 5 });
      expect((await single.query<{ v: string }>('SHOW hnsw.ef_search')).rows[0]!.v).toBe(before);
      expect((await single.query<{ v: string }>('SHOW ivfflat.probes')).rows[0]!.v).not.toBe('7');
    } finally {
      await single.end();
    }
  });
});

describe('search plan', () => {
  const planOf = async (sql: string) => {
    const result = (await pool.query(sql)) as unknown as
      pg.QueryResult<{ 'QUERY PLAN': string }> | pg.QueryResult<{ 'QUERY PLAN': string }>[];
    return (Array.isArray(result) ? result[result.length - 1]! : result).rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  it('reads the vector index even where the planner alone would rank every row', async () => {
    await ensureVectorIndex(pool, { kind: 'hnsw' });
    const { settings, select } = nearestStatements(DEFAULT_SEARCH_EFFORT, toVectorLiteral(queries[2]!), 'm', 10);
    // 600 rows: left to itself the planner reads them all (the point of the guard).
    expect(await planOf(`EXPLAIN ${select}`)).toMatch(/Seq Scan on quotes/);
    const guarded = await planOf(`${settings}; EXPLAIN ${select}`);
    expect(guarded).toMatch(/Index Scan using quotes_embedding_idx/);
    expect(guarded).not.toMatch(/Seq Scan/);
  });

  it('answers in one round trip, leaving no setting or transaction behind', async () => {
    const single = testPool(database, 1);
    let queriesSent = 0;
    single.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        queriesSent++;
        return query(...args);
      };
    });
    try {
      await single.query("SELECT '[1]'::vector"); // loads pgvector into the session, defining its settings
      queriesSent = 0;
      // A fixed effort; with 'auto' the table size is read too, once a minute (see above).
      const rows = await new QuoteRepository(single, { efSearch: 100 }).search({ vector: queries[3]!, model: 'm', limit: 10 });
      expect(queriesSent).toBe(1);
      expect(rows.map((r) => r.id)).toEqual(await exactIds(queries[3]!, 10));
      const { rows: state } = await single.query<{ seqscan: string; idle: boolean }>(
        "SELECT current_setting('enable_seqscan') AS seqscan, now() = statement_timestamp() AS idle",
      );
      expect(state[0]).toEqual({ seqscan: 'on', idle: true });
    } finally {
      await single.end();
    }
  });

  it('refuses a vector that is not a list of numbers rather than put it into SQL', () => {
    expect(() => nearestStatements(DEFAULT_SEARCH_EFFORT, "[1]'; DROP TABLE quotes; --", 'm', 10)).toThrow(/pgvector literal/);
  });
});

describe('author-filtered search', () => {
  for (const kind of ['hnsw', 'ivfflat'] as const) {
    it(`${kind}: never returns fewer than asked, for a prolific and for a rare author`, async () => {
      await ensureVectorIndex(pool, { kind, lists: 20 });
      const indexed = indexScanPool();
      // Low effort: a post-filtered plain index scan would come back short.
      const repository = new QuoteRepository(indexed, { efSearch: 10, probes: 1 });
      try {
        for (const vector of queries.slice(0, 4)) {
          const popular = await repository.search({ vector, model: 'm', limit: 10, authors: ['popular author'] });
          expect(popular).toHaveLength(10);
          expect(popular.every((r) => r.author === 'Popular Author')).toBe(true);
          const scores = popular.map((r) => r.score);
          expect(scores).toEqual([...scores].sort((a, b) => b - a));
          const rare = await repository.search({ vector, model: 'm', limit: 10, authors: ['rare author'] });
          expect(rare.map((r) => r.id)).toEqual(await exactIds(vector, 10, 'rare author'));
        }
      } finally {
        await endIndexScanPool(indexed);
      }
    });
  }

  it('knows which pgvector versions scan iteratively (0.8.0 on)', () => {
    expect([
      supportsIterativeScans('0.7.4'),
      supportsIterativeScans('0.8.0'),
      supportsIterativeScans('0.8.7'),
      supportsIterativeScans(null),
    ]).toEqual([false, true, true, false]);
  });
});
