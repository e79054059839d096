import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../app/cache/memory.js';
import { migrate } from '../../app/db/migrate.js';
import { VECTOR_INDEX_NAME } from '../../app/db/vector-index.js';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { OpenAIEmbedder } from '../../app/embeddings/openai.js';
import { EmbeddingModelMismatchError } from '../../app/errors.js';
import { contentHash } from '../../app/quotes/quote-text.js';
import { QuoteRepository } from '../../app/quotes/repository.js';
import { SearchService } from '../../app/quotes/search-service.js';
import { SeedError } from '../../app/seed/errors.js';
import { REEMBED_STAGING_TABLE, reembedQuotes } from '../../app/seed/reembed.js';
import { seedQuotes } from '../../app/seed/seeder.js';
import type { SourcePage } from '../../app/seed/sources.js';
import { parseSourceSpec, readSource } from '../../app/seed/sources.js';
import { startTestPostgres, testPool, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture, QUOTES_PATH } from '../helpers/quotes-fixture.js';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

let database: EmbeddedPostgres;
let pool: pg.Pool;
let openai: FakeOpenAI;
const local = new LocalEmbedder();

const fileSource = () => readSource(parseSourceSpec(`file:${QUOTES_PATH}`));
async function* arraySource(records: unknown[]): AsyncGenerator<SourcePage> {
  yield { records, total: records.length };
}
const count = async (sql: string, params: unknown[] = []) => Number((await pool.query<{ n: string }>(sql, params)).rows[0]!.n);
const vectorIndexExists = async () =>
  (await pool.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [VECTOR_INDEX_NAME])).rowCount === 1;

beforeAll(async () => {
  [database, openai] = await Promise.all([startTestPostgres(), startFakeOpenAI()]);
  pool = testPool(database);
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
  await Promise.all([database?.stop(), openai?.stop()]);
});
beforeEach(() => openai.reset());

describe('seeding from the shared file', () => {
  beforeAll(async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
  });

  it('stores the 1423 unique quotes with embeddings and skips the 31 duplicates', async () => {
    const summary = await seedQuotes({ pool, source: fileSource(), sourceName: 'file', provider: local });
    expect(summary).toMatchObject({
      fetched: 1454,
      new: 1423,
      skipped: 31,
      invalid: 0,
      filled: 0,
      model: local.model,
      vectorIndex: 'created',
    });
    expect(summary.tokens).toBeGreaterThan(10_000);
    expect(await count('SELECT count(*) AS n FROM quotes')).toBe(1423);
    expect(await count('SELECT count(DISTINCT content_hash) AS n FROM quotes')).toBe(1423);
    expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding IS NULL OR embedding_model <> $1', [local.model])).toBe(0);
    expect(await vectorIndexExists()).toBe(true);
    // Stored hashes are exactly the fixture's distinct content.
    const expected = new Set(loadQuoteFixture().map((q) => contentHash(q.quote.trim(), q.author.trim())));
    const { rows } = await pool.query<{ content_hash: string }>('SELECT content_hash FROM quotes');
    expect(new Set(rows.map((r) => r.content_hash))).toEqual(expected);
  });

  it('inserts nothing on a second run', async () => {
    const before = (await pool.query('SELECT max(id) AS id FROM quotes')).rows[0].id;
    const summary = await seedQuotes({ pool, source: fileSource(), sourceName: 'file', provider: local });
    expect(summary).toMatchObject({ fetched: 1454, new: 0, skipped: 1454, invalid: 0, filled: 0, embeddingRequests: 0, tokens: 0 });
    expect(await count('SELECT count(*) AS n FROM quotes')).toBe(1423);
    expect((await pool.query('SELECT max(id) AS id FROM quotes')).rows[0].id).toBe(before);
  });

  it('fills stored rows that have no embedding, from the source or not', async () => {
    await pool.query('UPDATE quotes SET embedding = NULL, embedding_model = NULL WHERE id IN (1, 2)');
    await pool.query("INSERT INTO quotes (quote, author, content_hash) VALUES ('Posted while the embedder was down.', 'Tester', $1)", [
      contentHash('Posted while the embedder was down.', 'Tester'),
    ]);
    const summary = await seedQuotes({ pool, source: fileSource(), sourceName: 'file', provider: local });
    expect(summary).toMatchObject({ new: 0, filled: 3, skipped: 1452 });
    expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding IS NULL')).toBe(0);
    await pool.query("DELETE FROM quotes WHERE author = 'Tester'");
  });
});

describe('record validation during a seed', () => {
  it('reports bad records with their index and loads the rest', async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
    const records = [
      { quote: 'Fortune favours the prepared mind.', author: 'Louis Pasteur' },
      { author: 'Nobody' },
      { quote: '', author: 'Empty' },
      { quote: 'x'.repeat(2001), author: 'Long' },
      'not a record',
      { quote: 'No author here.', author: '   ' },
      { quote: 'Fortune  favours the prepared mind.', author: 'louis pasteur' },
      { quote: 'Simplicity is the ultimate sophistication.', author: 'Anonymous', id: 99 },
      // What Postgres refuses (NUL) or would silently alter (a lone surrogate) is skipped, not fatal.
      { quote: 'A NUL \u0000 inside', author: 'Nobody' },
      { quote: 'A lone \ud83d surrogate', author: 'Nobody' },
    ];
    const summary = await seedQuotes({ pool, source: arraySource(records), sourceName: 'array', provider: local });
    expect(summary).toMatchObject({ fetched: 10, new: 2, skipped: 1, invalid: 7 });
    expect(summary.invalidRecords).toEqual([
      { index: 1, reason: 'missing quote' },
      { index: 2, reason: 'quote must not be empty' },
      { index: 3, reason: 'quote must be at most 2000 characters' },
      { index: 4, reason: 'not an object with quote and author' },
      { index: 5, reason: 'author must not be empty' },
      { index: 8, reason: 'quote must not contain control characters (found U+0000)' },
      { index: 9, reason: 'quote must be valid Unicode (it holds a lone UTF-16 surrogate)' },
    ]);
    expect(await count('SELECT count(*) AS n FROM quotes')).toBe(2);
  });
});

describe('one model per table', () => {
  it('refuses to add vectors of another model, naming the fix, and writes nothing', async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
    await pool.query(
      "INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model) VALUES ('Old.', 'Someone', 'h1', array_fill(0.1, ARRAY[1536])::vector, 'older-model')",
    );
    const error = await seedQuotes({ pool, source: fileSource(), sourceName: 'file', provider: local }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeedError);
    expect((error as SeedError).kind).toBe('usage');
    expect((error as Error).message).toBe(
      `the database holds quotes embedded by another model (1 with older-model) but this seed embeds with ${local.model}: ` +
        'run qctl seed --reembed first to move them to it, or set EMBEDDING_MODEL / OPENAI_API_KEY to match',
    );
    expect(await count('SELECT count(*) AS n FROM quotes')).toBe(1);
  });
});

describe('--reembed', () => {
  it('switches every vector to the new model atomically while search keeps answering', { timeout: 180_000 }, async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
    // The swap rebuilds whichever index is configured; IVFFlat builds in well under a second where
    // HNSW over 1,423 dense vectors takes several inside PGlite, twice here (the seed, the swap).
    const ivfflat = { kind: 'ivfflat', lists: 20 } as const;
    await seedQuotes({ pool, source: fileSource(), sourceName: 'file', provider: local, vectorIndex: ivfflat });
    const remote = new OpenAIEmbedder({
      apiKey: 'test',
      baseURL: openai.url,
      model: 'text-embedding-3-small',
      batchSize: 100,
      baseBackoffMs: 10,
    });
    const repository = new QuoteRepository(pool);
    const searchers = [local, remote].map(
      (embedder) => new SearchService({ repository, embedder, cache: new MemoryCache(), ttlSeconds: 1, modelCheckTtlMs: 0 }),
    );
    openai.delayMs = 80; // long enough to observe search many times while vectors are computed

    // Each tick: the models stored (one atomic query), then a search configured for the old
    // model, then one for the new. Old before new means the swap can make both answer in a
    // tick, never neither; a configuration that does not answer refuses with a model mismatch.
    const observations: { models: string[]; answered: string[]; partial: number }[] = [];
    let done = false;
    const watcher = (async () => {
      const quotes = loadQuoteFixture();
      // Observe until the re-embed has finished, then once more.
      for (let tick = 0, last = false; !last; tick++) {
        last = done;
        const models = (await repository.embeddingModels()).map((m) => m.model);
        const q = quotes[tick % quotes.length]!.quote;
        const answered: string[] = [];
        let partial = 0;
        for (const searcher of searchers) {
          try {
            const rows = await searcher.search({ q: `${q} ${tick}`, limit: 5 });
            // The API checks the stored model, then queries by it: a swap committing between
            // the two gives an empty page (never a mixed one). Count it; it may only happen at the swap.
            if (rows.length === 5) answered.push(searcher.model);
            else partial++;
          } catch (error) {
            expect(error).toBeInstanceOf(EmbeddingModelMismatchError);
          }
        }
        observations.push({ models, answered, partial });
      }
    })();
    const summary = await reembedQuotes({ pool, provider: remote, batchSize: 100, concurrency: 2, vectorIndex: ivfflat }).finally(() => {
      done = true;
    });
    await watcher;

    expect(summary).toMatchObject({ model: 'text-embedding-3-small', reembedded: 1423, resumed: 0, swapped: 1423, embeddingRequests: 15 });
    // Batches of 100 (the remote searcher's one-text query embeddings are the other requests).
    expect(openai.requests.filter((r) => r.inputs > 1)).toHaveLength(15);
    // The table never held two models, and search always answered under some configuration.
    expect(observations.every((o) => o.models.length === 1)).toBe(true);
    expect(observations.every((o) => o.answered.length >= 1)).toBe(true);
    // First only the old model answers, then (after at most one tick of overlap) only the new one.
    const firstNew = observations.findIndex((o) => o.answered.includes(remote.model));
    expect(firstNew).toBeGreaterThan(3);
    expect(observations.slice(0, firstNew).every((o) => o.answered.join() === local.model)).toBe(true);
    expect(observations.slice(firstNew + 1).every((o) => o.answered.join() === remote.model)).toBe(true);
    expect(observations.at(-1)!.models).toEqual([remote.model]);
    expect(observations.filter((o, i) => o.partial > 0 && i !== firstNew)).toEqual([]);
    expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding_model = $1', [remote.model])).toBe(1423);
    expect(await count('SELECT count(*) AS n FROM pg_tables WHERE tablename = $1', [REEMBED_STAGING_TABLE])).toBe(0);
    expect(await vectorIndexExists()).toBe(true);
  });

  it('resumes an interrupted re-embed without recomputing what was staged', { timeout: 180_000 }, async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
    const ivfflat = { kind: 'ivfflat', lists: 20 } as const; // builds in well under a second; HNSW takes several on PGlite
    await seedQuotes({ pool, source: fileSource(), sourceName: 'file', provider: local, vectorIndex: ivfflat });
    const abort = new AbortController();
    openai.delayMs = 30;
    const remote = new OpenAIEmbedder({
      apiKey: 'test',
      baseURL: openai.url,
      model: 'text-embedding-3-large-1536',
      batchSize: 100,
      baseBackoffMs: 10,
    });
    const interrupted = reembedQuotes({
      pool,
      provider: remote,
      batchSize: 100,
      concurrency: 1,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.embedded >= 500) abort.abort(new Error('stop'));
      },
    });
    await expect(interrupted).rejects.toThrow();
    // Nothing switched: search still sees one model, the previous one.
    expect((await pool.query('SELECT DISTINCT embedding_model FROM quotes')).rows).toEqual([{ embedding_model: local.model }]);
    const staged = await count(`SELECT count(*) AS n FROM ${REEMBED_STAGING_TABLE}`);
    expect(staged).toBeGreaterThanOrEqual(500);

    openai.reset();
    const summary = await reembedQuotes({ pool, provider: remote, batchSize: 100, vectorIndex: ivfflat });
    expect(summary.resumed).toBe(staged);
    expect(summary.reembedded).toBe(1423 - staged);
    expect(openai.requests).toHaveLength(Math.ceil((1423 - staged) / 100));
    expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding_model = $1', [remote.model])).toBe(1423);
    const { rows } = await pool.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [VECTOR_INDEX_NAME]);
    expect(rows[0]?.indexdef).toMatch(/USING ivfflat/);
  });
});

describe('progress around the vector index', () => {
  it('announces "indexing" only when the index is built, never before an unchanged one', async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
    await pool.query(`DROP INDEX IF EXISTS ${VECTOR_INDEX_NAME}`);
    const records = loadQuoteFixture().slice(0, 5);
    const run = async () => {
      const phases: string[] = [];
      const summary = await seedQuotes({
        pool,
        source: arraySource(records),
        sourceName: 'array',
        provider: local,
        onProgress: (p) => phases.push(p.phase),
      });
      return { summary, phases };
    };
    const first = await run();
    expect(first.summary.vectorIndex).toBe('created');
    expect(first.phases).toContain('indexing');
    const second = await run();
    expect(second.summary.vectorIndex).toBe('unchanged');
    expect(second.phases).not.toContain('indexing');
  });
});
