import { execa } from 'execa';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../app/db/migrate.js';
import { VECTOR_INDEX_NAME } from '../../app/db/vector-index.js';
import { contentHash, embeddingText } from '../../app/quotes/quote-text.js';
import { runQctl } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { startTestPostgres, testPool, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture, repoPath, QUOTES_PATH } from '../helpers/quotes-fixture.js';
import { startFakeDummyJson, type FakeDummyJson } from './fake-dummyjson.js';
import { fakeEmbedding, startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

let database: EmbeddedPostgres;
let pool: pg.Pool;
let openai: FakeOpenAI;
let dummyjson: FakeDummyJson;

// IVFFlat builds in under a second on PGlite; HNSW is covered by the seeder tests.
const baseEnv = () => ({ VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '20', DATABASE_URL: undefined, OPENAI_API_KEY: undefined });
const openaiEnv = () => ({ ...baseEnv(), OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url, EMBEDDING_MAX_RETRIES: '1' });
const count = async (sql: string, params: unknown[] = []) => Number((await pool.query<{ n: string }>(sql, params)).rows[0]!.n);
const lines = (text: unknown) => String(text).split('\n').filter(Boolean);

beforeAll(async () => {
  [database, openai, dummyjson] = await Promise.all([startTestPostgres(), startFakeOpenAI(), startFakeDummyJson(loadQuoteFixture())]);
  pool = testPool(database, 2);
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
  await Promise.all([database?.stop(), openai?.stop(), dummyjson?.stop()]);
});
beforeEach(async () => {
  openai.reset();
  await pool.query('TRUNCATE quotes RESTART IDENTITY');
});

describe('qctl seed', () => {
  it(
    'resumes after kill -9 midway: no duplicates, no missing embeddings, the same table as a clean run',
    { timeout: 180_000 },
    async () => {
      const args = [
        'seed',
        '--database-url',
        database.url,
        '--source',
        `file:${QUOTES_PATH}`,
        '--batch-size',
        '50',
        '--concurrency',
        '1',
        '--output',
        'json',
      ];
      openai.delayMs = 150; // slow enough to kill it halfway through 29 batches
      const child = execa('node', [repoPath('bin/qctl.mjs'), ...args], {
        cwd: repoPath(),
        env: { CI: 'true', ...openaiEnv() },
        reject: false,
      });
      let stored = 0;
      while (stored < 300) {
        if (child.exitCode !== null) throw new Error(`seed finished before it could be killed: ${child.exitCode}`);
        await new Promise((r) => setTimeout(r, 50));
        stored = await count('SELECT count(*) AS n FROM quotes');
      }
      child.kill('SIGKILL');
      const killed = await child;
      expect(killed.signal).toBe('SIGKILL');
      const afterKill = await count('SELECT count(*) AS n FROM quotes');
      expect(afterKill).toBeGreaterThanOrEqual(300);
      expect(afterKill).toBeLessThan(1423);
      expect(afterKill % 50).toBe(0); // whole batches only
      expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding IS NULL')).toBe(0);

      openai.reset();
      const resumed = await runQctl(args, { env: openaiEnv() });
      expect(resumed.stderr).not.toContain('qctl:');
      expect(resumed.exitCode).toBe(0);
      const summary = JSON.parse(String(resumed.stdout)) as Record<string, number>;
      expect(summary).toMatchObject({ fetched: 1454, new: 1423 - afterKill, skipped: 31 + afterKill, invalid: 0 });
      expect(summary.embeddingRequests).toBe(Math.ceil((1423 - afterKill) / 50));
      expect(openai.requests).toHaveLength(Math.ceil((1423 - afterKill) / 50));

      // Exactly the clean-run table: every distinct fixture quote once, each with the API's vector.
      const expected = new Set(loadQuoteFixture().map((q) => contentHash(q.quote, q.author)));
      const { rows } = await pool.query<{
        quote: string;
        author: string;
        content_hash: string;
        embedding: string;
        embedding_model: string;
      }>('SELECT quote, author, content_hash, embedding::text, embedding_model FROM quotes');
      expect(rows).toHaveLength(1423);
      expect(new Set(rows.map((r) => r.content_hash))).toEqual(expected);
      for (const row of rows) {
        expect(row.embedding_model).toBe('text-embedding-3-small');
        const vector = JSON.parse(row.embedding) as number[];
        expect(vector[0]).toBeCloseTo(fakeEmbedding(embeddingText(row.quote, row.author))[0]!, 6);
      }
      expect(await count('SELECT count(*) AS n FROM pg_indexes WHERE indexname = $1', [VECTOR_INDEX_NAME])).toBe(1);
    },
  );

  it('reads stdin with --source - and prints a JSON summary naming invalid records', async () => {
    const input = JSON.stringify([
      { quote: 'Well begun is half done.', author: 'Aristotle' },
      { quote: 'Well begun is half done.', author: 'Aristotle' },
      { quote: 'No author.' },
      { quote: 'Knowledge is power.', author: 'Francis Bacon' },
    ]);
    const result = await runQctl(['seed', '--database-url', database.url, '--source', '-', '--output', 'json'], { env: baseEnv(), input });
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(String(result.stdout)) as Record<string, unknown>;
    expect(summary).toMatchObject({
      mode: 'seed',
      source: 'standard input',
      model: 'qctl-local-lexical-v1',
      fetched: 4,
      new: 2,
      skipped: 1,
      invalid: 1,
      invalidRecords: [{ index: 2, reason: 'missing author' }],
      embeddingRequests: 0,
    });
    expect(typeof summary.tokens).toBe('number');
    expect(typeof summary.elapsedMs).toBe('number');
  });

  it('pages the DummyJSON API and prints plain progress and summary lines without a TTY', async () => {
    const result = await runQctl(['seed', '--database-url', database.url, '--dummyjson-url', dummyjson.url], { env: baseEnv() });
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toMatch(
      /seeded from DummyJSON \(http:\/\/127\.0\.0\.1:\d+\) with qctl-local-lexical-v1: fetched 1454, new 1423, skipped 31 \(duplicates\), invalid 0/,
    );
    expect(String(result.stdout)).toMatch(/embedding requests 0, tokens \d+, elapsed [\d.]+s/);
    expect(String(result.stderr)).toMatch(/^seed: fetched \d+\/1454/m);
    expect(result.stderr).not.toContain('\r');
    expect(dummyjson.requests.at(-1)).toMatchObject({ limit: 100, skip: 1400 });
  });

  it('fails with exit 1 and one line when embeddings keep failing', async () => {
    openai.failAlways = 503;
    const result = await runQctl(['seed', '--database-url', database.url, '--source', 'sample'], { env: openaiEnv() });
    expect(result.exitCode).toBe(1);
    expect(lines(result.stderr).filter((l) => l.startsWith('qctl:'))).toEqual([
      expect.stringMatching(
        /^qctl: embedding a batch of \d+ quotes with text-embedding-3-small failed: embeddings server answered 503 after 2 attempts/,
      ),
    ]);
  });

  it('--reembed moves every stored vector to the configured model and reports it', async () => {
    const seeded = await runQctl(['seed', '--database-url', database.url, '--source', 'sample', '--output', 'json'], { env: baseEnv() });
    expect(seeded.exitCode).toBe(0);
    const { new: stored } = JSON.parse(String(seeded.stdout)) as { new: number };

    const result = await runQctl(['seed', '--database-url', database.url, '--reembed', '--batch-size', '20'], { env: openaiEnv() });
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toContain(
      `re-embedded ${stored} quotes with text-embedding-3-small (computed ${stored}, reused 0 from an interrupted run)`,
    );
    expect(String(result.stdout)).toMatch(new RegExp(`embedding requests ${Math.ceil(stored / 20)}, tokens \\d+`));
    expect(openai.requests).toHaveLength(Math.ceil(stored / 20));
    expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding_model = $1', ['text-embedding-3-small'])).toBe(stored);
  });

  it('EMBEDDING_MODEL=text-embedding-3-large qctl seed --reembed: many requests on one run, no listener-leak warning', async () => {
    const seeded = await runQctl(['seed', '--database-url', database.url, '--source', 'sample', '--output', 'json'], { env: baseEnv() });
    expect(seeded.exitCode).toBe(0);
    const { new: stored } = JSON.parse(String(seeded.stdout)) as { new: number };
    // 2 quotes a request: far more requests than the 10 listeners Node tolerates on one AbortSignal.
    const result = await runQctl(['seed', '--database-url', database.url, '--reembed', '--batch-size', '2'], {
      env: { ...openaiEnv(), EMBEDDING_MODEL: 'text-embedding-3-large' },
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(openai.requests.length).toBe(Math.ceil(stored / 2));
    expect(openai.requests.length).toBeGreaterThan(11);
    expect(String(result.stderr)).not.toMatch(/MaxListenersExceeded|Warning|memory leak/);
    expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding_model = $1', ['text-embedding-3-large'])).toBe(stored);
  });

  it('--reembed with --dummyjson-url is refused (it would be ignored), before touching the database', async () => {
    const result = await runQctl(
      ['seed', '--reembed', '--dummyjson-url', 'http://127.0.0.1:1/', '--database-url', 'postgres://nobody@127.0.0.1:1/none'],
      { env: baseEnv() },
    );
    expect(result.exitCode).toBe(2);
    expect(lines(result.stderr)).toEqual([
      'qctl: --reembed recomputes the stored quotes and fetches nothing: drop --dummyjson-url, or load from it first with qctl seed',
    ]);
  });

  it('rejects an unknown source with exit 2 before touching the database', async () => {
    const result = await runQctl(['seed', '--database-url', 'postgres://nobody@127.0.0.1:1/none', '--source', 'ftp://quotes'], {
      env: baseEnv(),
    });
    expect(result.exitCode).toBe(2);
    expect(lines(result.stderr)).toEqual(['qctl: unknown source "ftp://quotes": use dummyjson, file:PATH, - (stdin) or sample']);
  });

  it('names an unreachable database (password masked) and the flag, exit 2', async () => {
    const port = await freePort();
    const result = await runQctl(['seed', '--source', 'sample'], {
      env: { ...baseEnv(), DATABASE_URL: `postgres://app:secret@127.0.0.1:${port}/quotes` },
    });
    expect(result.exitCode).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `qctl: cannot reach the database at postgres://***@127.0.0.1:${port}/quotes (ECONNREFUSED): start it, or pass --database-url (or set DATABASE_URL)`,
    ]);
  });

  it('rejects a batch size above the API limit', async () => {
    const result = await runQctl(['seed', '--database-url', database.url, '--source', 'sample', '--batch-size', '4096'], {
      env: baseEnv(),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('batch size 4096 is out of range: use 1..2048');
  });
});

describe('the image entry point: node app/main.ts seed', () => {
  it('seeds with settings from SEED_* variables and prints a JSON summary line', async () => {
    const result = await execa('node', ['--import', 'tsx', repoPath('app/main.ts'), 'seed'], {
      cwd: repoPath(),
      env: { ...baseEnv(), DATABASE_URL: database.url, SEED_SOURCE: 'sample', SEED_BATCH_SIZE: '10' },
      reject: false,
    });
    expect(result.exitCode).toBe(0);
    const summaryLine = lines(result.stdout).find((l) => l.startsWith('seed summary '));
    expect(JSON.parse(summaryLine!.slice('seed summary '.length))).toMatchObject({
      mode: 'seed',
      source: 'the built-in sample',
      invalid: 0,
    });
    expect(await count('SELECT count(*) AS n FROM quotes WHERE embedding IS NOT NULL')).toBeGreaterThanOrEqual(30);
  });

  it('exits 2 on a bad SEED_ setting', async () => {
    const result = await execa('node', ['--import', 'tsx', repoPath('app/main.ts'), 'seed'], {
      cwd: repoPath(),
      env: { ...baseEnv(), DATABASE_URL: database.url, SEED_SOURCE: 'nowhere' },
      reject: false,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('seed: unknown source "nowhere"');
  });

  it('names SEED_SOURCE, not a qctl flag, in its hints: the image reads no flags', async () => {
    const image = (env: Record<string, string>) =>
      execa('node', ['--import', 'tsx', repoPath('app/main.ts'), 'seed'], {
        cwd: repoPath(),
        env: { ...baseEnv(), DATABASE_URL: database.url, ...env },
        reject: false,
      });
    const noPath = await image({ SEED_SOURCE: 'file:' });
    expect(noPath.exitCode).toBe(2);
    expect(noPath.stderr).toContain('source "file:" needs a path, e.g. SEED_SOURCE=file:./quotes.json');
    const unreachable = await image({ SEED_DUMMYJSON_URL: `http://127.0.0.1:${await freePort()}` });
    expect(unreachable.exitCode).not.toBe(0);
    expect(unreachable.stderr).toMatch(/cannot fetch quotes from .*: check the network, or seed from a file with SEED_SOURCE=file:PATH/);
    for (const result of [noPath, unreachable]) expect(result.stderr).not.toContain('--source');
  });
});
