import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingProvider } from '../../app/embeddings/index.js';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { OpenAIEmbedder } from '../../app/embeddings/openai.js';
import { EmbeddingUnavailableError } from '../../app/embeddings/provider.js';
import { MemoryCache } from '../../app/cache/memory.js';
import { startService, type RunningService } from '../../app/main.js';
import { SearchService } from '../../app/quotes/search-service.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';
import { FakeOpenAI } from './fake-openai.js';
import { capturingLogger, getJson, insertQuotes, testConfig } from './support.js';

let openai: FakeOpenAI;

beforeAll(async () => {
  openai = await new FakeOpenAI().start();
});
afterAll(async () => {
  await openai?.stop();
});
afterEach(() => {
  openai.failAlways(undefined);
  openai.delayMs = 0;
  openai.requests.length = 0;
});

const embedder = (options: Partial<ConstructorParameters<typeof OpenAIEmbedder>[0]> = {}) =>
  new OpenAIEmbedder({ apiKey: 'sk-test-key', baseURL: openai.url, baseBackoffMs: 5, maxRetries: 3, ...options });

describe('OpenAIEmbedder against an OpenAI-compatible server', () => {
  it('asks for base64 and decodes it to the same vectors', async () => {
    const result = await embedder().embed(['courage under fire', 'the quiet ocean']);
    const expected = (await new LocalEmbedder().embed(['courage under fire', 'the quiet ocean'])).vectors;
    expect(openai.requests).toHaveLength(1);
    expect(openai.requests[0]!.path).toBe('/v1/embeddings');
    expect(openai.requests[0]!.authorization).toBe('Bearer sk-test-key');
    expect(openai.requests[0]!.body).toMatchObject({
      model: 'text-embedding-3-small',
      encoding_format: 'base64',
      input: ['courage under fire', 'the quiet ocean'],
    });
    expect(result.vectors).toHaveLength(2);
    expect(result.vectors[0]).toHaveLength(1536);
    for (let i = 0; i < 1536; i += 97) expect(result.vectors[1]![i]).toBeCloseTo(expected[1]![i]!, 6);
    expect(result).toMatchObject({ tokens: 6, requests: 1 });
  });

  it('retries a 429 and then succeeds', async () => {
    openai.failNext({ status: 429, headers: { 'retry-after-ms': '20' } });
    const attempts: string[] = [];
    const result = await embedder({ onAttempt: (outcome) => attempts.push(outcome) }).embed(['retry me']);
    expect(result.requests).toBe(2);
    expect(result.vectors[0]).toHaveLength(1536);
    expect(openai.requests).toHaveLength(2);
    expect(attempts).toEqual(['error', 'success']);
  });

  it('retries 5xx with backoff and gives up with a clear error', async () => {
    openai.failAlways({ status: 500 });
    const started = Date.now();
    const error = await embedder({ maxRetries: 2, baseBackoffMs: 40 })
      .embed(['never'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingUnavailableError);
    expect((error as Error).message).toMatch(/embeddings server answered 500 after 3 attempts/);
    expect(openai.requests).toHaveLength(3);
    // Backoff 40 ms then 80 ms, each jittered down to no less than half.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('does not retry a request the server refuses (400)', async () => {
    openai.failNext({ status: 400 });
    const error = await embedder()
      .embed(['bad'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingUnavailableError);
    expect(openai.requests).toHaveLength(1);
  });

  it('times out a slow server per attempt', async () => {
    openai.delayMs = 1_000;
    const error = await embedder({ timeoutMs: 150, maxRetries: 1 })
      .embed(['slow'])
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/timed out after 2 attempts/);
  });

  it('splits large inputs into batches and keeps the order', async () => {
    const texts = ['one', 'two', 'three', 'four', 'five'];
    const result = await embedder({ batchSize: 2 }).embed(texts);
    expect(openai.requests.map((r) => r.body.input)).toEqual([['one', 'two'], ['three', 'four'], ['five']]);
    expect(result.requests).toBe(3);
    const expected = (await new LocalEmbedder().embed(texts)).vectors;
    result.vectors.forEach((v, i) => expect(v[0]).toBeCloseTo(expected[i]![0]!, 6));
  });
});

describe('createEmbeddingProvider', () => {
  const base = { embeddingModel: 'text-embedding-3-small', embeddingTimeoutMs: 5_000, embeddingMaxRetries: 1 };

  it('uses the offline local embedder without an API key, and logs that it does', () => {
    const { log, lines } = capturingLogger();
    const provider = createEmbeddingProvider({ ...base, openaiApiKey: undefined }, log);
    expect(provider.kind).toBe('local');
    expect(provider.model).toBe('qctl-local-lexical-v1');
    expect(lines().some((l) => /OPENAI_API_KEY is not set, using the offline local embedder/.test(String(l.msg)))).toBe(true);
  });

  it('uses OpenAI (at OPENAI_BASE_URL) with a key, and never logs the key', async () => {
    const { log, lines } = capturingLogger();
    const provider = createEmbeddingProvider({ ...base, openaiApiKey: 'sk-secret-for-log-test', openaiBaseUrl: openai.url }, log);
    expect(provider.kind).toBe('openai');
    expect((await provider.embed(['hello'])).vectors[0]).toHaveLength(1536);
    expect(openai.requests[0]!.authorization).toBe('Bearer sk-secret-for-log-test');
    expect(JSON.stringify(lines())).not.toContain('sk-secret-for-log-test');
  });
});

describe('search through the service when the embeddings server fails', () => {
  let db: EmbeddedPostgres;
  let service: RunningService;

  beforeAll(async () => {
    db = await startTestPostgres();
    service = await startService(
      testConfig(db.url, { OPENAI_API_KEY: 'sk-test-key', OPENAI_BASE_URL: openai.url, EMBEDDING_MAX_RETRIES: '2' }),
      { migrate: true, embeddingBackoffMs: 5 },
    );
    await service.databaseReady;
    expect(service.embedder.kind).toBe('openai');
    await insertQuotes(service.repository, service.embedder, loadQuoteFixture().slice(0, 60));
  });
  afterAll(async () => {
    await service?.stop();
    await db?.stop();
  });

  const metric = async (pattern: RegExp) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return Number(pattern.exec(text)?.[1] ?? 0);
  };

  it('retries a 429 behind a search and answers 200', async () => {
    openai.failNext({ status: 429 });
    const { status, body } = await getJson(`${service.url}/quotes/search?q=heart%20ocean%20depths`);
    expect(status).toBe(200);
    expect(body[0].quote).toMatch(/heart is the size of an ocean/);
    expect(await metric(/quotes_embedding_requests_total\{provider="openai",outcome="error"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(await metric(/quotes_embedding_requests_total\{provider="openai",outcome="success"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  });

  it('records a request the client abandoned, and the in-flight gauge returns to zero', async () => {
    openai.delayMs = 1_000;
    const controller = new AbortController();
    const abandoned = fetch(`${service.url}/quotes/search?q=abandoned%20midway`, { signal: controller.signal }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 300));
    expect(await metric(/^http_requests_in_flight (\d+)/m)).toBe(2); // the abandoned search and this scrape
    controller.abort();
    expect(await abandoned).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 100));
    expect(await metric(/^http_requests_in_flight (\d+)/m)).toBe(1); // only this scrape
    expect(await metric(/http_requests_total\{method="GET",route="\/quotes\/search",status="499"[^}]*\} (\d+)/)).toBe(1);
  });

  it('drops a search whose client has gone before it reaches the database', async () => {
    const searches = (result: string) => metric(new RegExp(`quotes_cache_operations_total\\{cache="search",result="${result}"\\} (\\d+)`));
    const embeddings = (outcome: string) =>
      metric(new RegExp(`quotes_embedding_requests_total\\{provider="openai",outcome="${outcome}"\\} (\\d+)`));
    const [missesBefore, hitsBefore, embeddedBefore] = [await searches('miss'), await searches('hit'), await embeddings('success')];
    openai.delayMs = 500;
    const controller = new AbortController();
    const abandoned = fetch(`${service.url}/quotes/search?q=gone%20before%20the%20answer`, { signal: controller.signal }).catch(
      (e: Error) => e,
    );
    while (openai.requests.length === 0 || !JSON.stringify(openai.requests.at(-1)!.body.input).includes('gone before the answer')) {
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort(); // while its query is being embedded
    expect(await abandoned).toBeInstanceOf(Error);
    while ((await embeddings('success')) === embeddedBefore) await new Promise((r) => setTimeout(r, 50));
    openai.delayMs = 0;
    // Time for the dropped work to have reached the database had it not been dropped (a slow
    // machine can only make this test pass without the drop, never fail with it).
    await new Promise((r) => setTimeout(r, 300));

    // Had the search gone on to the database, its result would be cached now: it was not.
    const again = await getJson(`${service.url}/quotes/search?q=gone%20before%20the%20answer`);
    expect(again.status).toBe(200);
    expect(await searches('hit')).toBe(hitsBefore);
    expect(await searches('miss')).toBe(missesBefore + 2);
  });

  it('shares one embedding call among identical concurrent searches', async () => {
    openai.delayMs = 200;
    const answers = await Promise.all(Array.from({ length: 5 }, () => getJson(`${service.url}/quotes/search?q=brand%20new%20stampede`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(openai.requests).toHaveLength(1);
  });

  it('gives a search a total time budget for its embedding, retries included', async () => {
    // The server would answer after a minute: an error well before that means the budget, not the server, ended it.
    openai.delayMs = 60_000;
    const slow = new OpenAIEmbedder({ apiKey: 'sk-test-key', baseURL: openai.url, timeoutMs: 60_000, maxRetries: 3 });
    const search = new SearchService({
      repository: service.repository,
      embedder: slow,
      cache: new MemoryCache(),
      ttlSeconds: 60,
      embedBudgetMs: 300,
    });
    const started = Date.now();
    const error = await search.search({ q: 'patience is bitter', limit: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingUnavailableError);
    expect((error as Error).message).toBe('embeddings server gave no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('answers 503 with a clear message while the server fails, but still serves cached results', async () => {
    const cached = await getJson(`${service.url}/quotes/search?q=hard%20work%20solution`);
    expect(cached.status).toBe(200);
    openai.failAlways({ status: 500 });
    const fresh = await getJson(`${service.url}/quotes/search?q=something%20never%20asked`);
    expect(fresh.status).toBe(503);
    expect(fresh.body.error).toBe('embeddings_unavailable');
    expect(fresh.body.message).toMatch(/search is unavailable right now: embeddings server answered 500 after 3 attempts/);
    expect(fresh.headers.get('retry-after')).toBe('5');
    const again = await getJson(`${service.url}/quotes/search?q=hard%20work%20solution`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(cached.body);
    // Reads that need no embedding keep working too.
    expect((await getJson(`${service.url}/quotes?limit=2`)).status).toBe(200);
  });
});
