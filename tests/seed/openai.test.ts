import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contentHash, embeddingText } from '../../app/quotes/quote-text.js';
import { SeedError } from '../../app/seed/errors.js';
import { runSeed, type SeedRunSettings } from '../../app/seed/run.js';
import type { SeedSummary } from '../../app/seed/seeder.js';
import { startTestPostgres, testPool, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture, QUOTES_PATH } from '../helpers/quotes-fixture.js';
import { fakeEmbedding, fakeTokens, startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

let database: EmbeddedPostgres;
let pool: pg.Pool;
let openai: FakeOpenAI;

const settings = (overrides: Partial<SeedRunSettings> = {}): SeedRunSettings => ({
  database: { connectionString: database.url },
  source: `file:${QUOTES_PATH}`,
  batchSize: 200,
  concurrency: 1,
  embedding: {
    openaiApiKey: 'sk-test',
    openaiBaseUrl: openai.url,
    embeddingModel: 'text-embedding-3-small',
    embeddingTimeoutMs: 10_000,
    embeddingMaxRetries: 3,
  },
  // IVFFlat builds in under a second on PGlite; the index kind is not what these tests are about.
  vectorIndex: { kind: 'ivfflat', lists: 20 },
  ...overrides,
});
const seed = async (overrides: Partial<SeedRunSettings> = {}): Promise<SeedSummary> => {
  const result = await runSeed(settings(overrides));
  if (result.mode !== 'seed') throw new Error('expected a seed');
  return result.summary;
};
const count = async (sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);

/** Distinct fixture quotes in source order, as the seeder keys and embeds them. */
function uniqueTexts(): string[] {
  const seen = new Set<string>();
  const texts: string[] = [];
  for (const q of loadQuoteFixture()) {
    const key = contentHash(q.quote, q.author);
    if (seen.has(key)) continue;
    seen.add(key);
    texts.push(embeddingText(q.quote.trim(), q.author.trim()));
  }
  return texts;
}

beforeAll(async () => {
  [database, openai] = await Promise.all([startTestPostgres(), startFakeOpenAI()]);
  pool = testPool(database, 2);
});
afterAll(async () => {
  await pool?.end();
  await Promise.all([database?.stop(), openai?.stop()]);
});
beforeEach(() => openai.reset());

describe('seeding through an OpenAI-compatible API', () => {
  it('makes ceil(new / batch) requests, records usage tokens and stores the returned vectors', async () => {
    const summary = await seed();
    expect(summary).toMatchObject({ fetched: 1454, new: 1423, skipped: 31, invalid: 0, model: 'text-embedding-3-small' });
    expect(openai.requests).toHaveLength(Math.ceil(1423 / 200));
    expect(openai.requests.map((r) => r.inputs)).toEqual([200, 200, 200, 200, 200, 200, 200, 23]);
    expect(summary.embeddingRequests).toBe(8);
    const texts = uniqueTexts();
    expect(texts).toHaveLength(1423);
    expect(summary.tokens).toBe(texts.reduce((sum, t) => sum + fakeTokens(t), 0));

    // The stored vector is the one the API returned (base64 float32 decoded), for every row.
    const { rows } = await pool.query<{ quote: string; author: string; embedding: string }>(
      'SELECT quote, author, embedding::text FROM quotes',
    );
    expect(rows).toHaveLength(1423);
    for (const row of rows) {
      const expected = fakeEmbedding(embeddingText(row.quote, row.author));
      const stored = JSON.parse(row.embedding) as number[];
      expect(stored).toHaveLength(1536);
      for (let i = 0; i < 1536; i += 97) expect(stored[i]).toBeCloseTo(expected[i]!, 6);
    }
  });

  it('makes zero requests on a second run', async () => {
    const summary = await seed();
    expect(summary).toMatchObject({ new: 0, skipped: 1454, embeddingRequests: 0, tokens: 0 });
    expect(openai.requests).toHaveLength(0);
  });

  it('retries a 429 after its Retry-After and a 500, then finishes', async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
    openai.failNext({ status: 429, retryAfter: '1' }, { status: 500 });
    const summary = await seed();
    expect(summary.new).toBe(1423);
    expect(openai.requests.map((r) => r.status)).toEqual([429, 500, 200, 200, 200, 200, 200, 200, 200, 200]);
    expect(summary.embeddingRequests).toBe(8 + 2);
    expect(openai.requests[1]!.at - openai.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('stops with a clear error after the retry budget and stores nothing half-done', async () => {
    await pool.query('TRUNCATE quotes RESTART IDENTITY');
    openai.failAlways = 500;
    const error = await seed({ embedding: { ...settings().embedding, embeddingMaxRetries: 2 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeedError);
    expect((error as SeedError).kind).toBe('failed');
    expect((error as Error).message).toMatch(
      /^embedding a batch of 200 quotes with text-embedding-3-small failed: embeddings server answered 500 after 3 attempts: .*run the seed again to continue$/,
    );
    expect(openai.requests).toHaveLength(3);
    expect(await count('SELECT count(*) AS n FROM quotes')).toBe(0);
    // The index dropped for the bulk load is back, so search is not left without it.
    expect(await count(`SELECT count(*) AS n FROM pg_indexes WHERE indexname = 'quotes_embedding_idx'`)).toBe(1);
  });
});
