import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { startService, type RunningService } from '../../app/main.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture, type FixtureQuote } from '../helpers/quotes-fixture.js';
import { capturingLogger, getJson, insertQuotes, testConfig } from './support.js';

const TOKEN = 'test-api-token-0123456789';
const ALLOWED_ORIGIN = 'https://quotes.example.com';
const VERSION = 'git-3f2a1bc';

let db: EmbeddedPostgres;
let service: RunningService;
let base: string;
let captured: ReturnType<typeof capturingLogger>;
let fixture: FixtureQuote[];

beforeAll(async () => {
  db = await startTestPostgres();
  captured = capturingLogger();
  service = await startService(testConfig(db.url, { API_TOKEN: TOKEN, CORS_ORIGINS: ALLOWED_ORIGIN, APP_VERSION: VERSION }), {
    migrate: true,
    log: captured.log,
  });
  await service.databaseReady;
  base = service.url;
  // A slice of the shared quotes (unique by content) keeps the file fast; the embedder is the offline one.
  const seen = new Set<string>();
  fixture = loadQuoteFixture()
    .filter((q) => !seen.has(q.quote) && seen.add(q.quote))
    .slice(0, 250);
  await insertQuotes(service.repository, new LocalEmbedder(), fixture);
});

afterAll(async () => {
  await service?.stop();
  await db?.stop();
});

describe('GET /quotes', () => {
  it('pages through every quote with a keyset cursor, in id order, without repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await getJson(`${base}/quotes?limit=40${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(40);
      for (const item of body.items) expect(Object.keys(item).sort()).toEqual(['author', 'id', 'quote']);
      seen.push(...body.items.map((i: { id: number }) => i.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(pages).toBe(Math.ceil(fixture.length / 40));
    expect(seen).toHaveLength(fixture.length);
    expect(new Set(seen).size).toBe(fixture.length);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });

  it('filters by author case-insensitively, by partial name and by a near-miss spelling', async () => {
    const einstein = fixture.filter((q) => q.author === 'Albert Einstein').length;
    expect(einstein).toBeGreaterThan(0);
    for (const typed of ['albert einstein', 'EINSTEIN', 'Albert Einstien', 'Albrt Einstein']) {
      const { status, body } = await getJson(`${base}/quotes?author=${encodeURIComponent(typed)}&limit=100`);
      expect(status, typed).toBe(200);
      expect(body.matchedAuthors, typed).toEqual(['Albert Einstein']);
      expect(body.items, typed).toHaveLength(einstein);
      expect(body.items.every((i: FixtureQuote) => i.author === 'Albert Einstein')).toBe(true);
    }
  });

  it('pages within an author filter', async () => {
    const rumi = fixture.filter((q) => q.author === 'Rumi').length;
    const first = await getJson(`${base}/quotes?author=rumi&limit=5`);
    const second = await getJson(`${base}/quotes?author=rumi&limit=5&cursor=${first.body.nextCursor}`);
    expect(first.body.items).toHaveLength(5);
    expect(second.body.items[0].id).toBeGreaterThan(first.body.items[4].id);
    expect([...first.body.items, ...second.body.items].every((i: FixtureQuote) => i.author === 'Rumi')).toBe(true);
    expect(rumi).toBeGreaterThan(10);
  });

  it('returns nothing (not everything) for an author nobody resembles', async () => {
    const { status, body } = await getJson(`${base}/quotes?author=${encodeURIComponent('Zyxwv Qqqq')}`);
    expect(status).toBe(200);
    expect(body).toEqual({ items: [], nextCursor: null, matchedAuthors: [] });
  });
});

describe('GET /quotes/:id and /authors', () => {
  it('returns one quote, and 404 JSON for a missing one', async () => {
    const list = await getJson(`${base}/quotes?limit=1`);
    const id = list.body.items[0].id;
    const one = await getJson(`${base}/quotes/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.items[0]);
    const missing = await getJson(`${base}/quotes/999999999`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'not_found', message: 'no quote with id 999999999' });
  });

  it('lists authors with their quote counts, most quoted first', async () => {
    const { status, body } = await getJson(`${base}/authors`);
    expect(status).toBe(200);
    const expected = new Map<string, number>();
    for (const q of fixture) expected.set(q.author, (expected.get(q.author) ?? 0) + 1);
    expect(body).toHaveLength(expected.size);
    for (const { name, count } of body) expect(count).toBe(expected.get(name));
    const counts = body.map((a: { count: number }) => a.count);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
  });
});

describe('GET /quotes/search', () => {
  it('ranks quotes by cosine similarity, the one sharing the words first', async () => {
    const target = fixture.find((q) => /Go find yourself in its hidden depths/.test(q.quote))!;
    const { status, body } = await getJson(`${base}/quotes/search?q=${encodeURIComponent('find yourself hidden depths ocean')}&limit=5`);
    expect(status).toBe(200);
    expect(body).toHaveLength(5);
    expect(body[0].quote).toBe(target.quote);
    expect(Object.keys(body[0]).sort()).toEqual(['author', 'id', 'quote', 'score']);
    const scores = body.map((r: { score: number }) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(scores[0]).toBeGreaterThan(scores[4]);
  });

  it('restricts results to the author filter, fuzzily matched', async () => {
    const { status, body } = await getJson(`${base}/quotes/search?q=life&limit=10&author=${encodeURIComponent('mark twian')}`);
    expect(status).toBe(200);
    expect(body.length).toBeGreaterThan(0);
    expect(body.every((r: FixtureQuote) => r.author === 'Mark Twain')).toBe(true);
  });

  it('returns every match of a filtered author, ranked, with the vector index present', async () => {
    // Fresh statistics, as after a seed: whatever plan is chosen, the filter must not drop matches.
    await service.pool.query('ANALYZE quotes');
    const einstein = fixture.filter((q) => q.author === 'Albert Einstein');
    const { status, body } = await getJson(`${base}/quotes/search?q=${encodeURIComponent('ocean heart depths')}&limit=50&author=einstein`);
    expect(status).toBe(200);
    expect(body).toHaveLength(einstein.length);
    const scores = body.map((r: { score: number }) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('treats SQL metacharacters in text as text', async () => {
    const q = '\'; DROP TABLE quotes; -- " OR 1=1 %_\\';
    const { status, body } = await getJson(`${base}/quotes/search?q=${encodeURIComponent(q)}&author=${encodeURIComponent("O'Brien%")}`);
    expect(status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    expect((await getJson(`${base}/quotes?limit=1`)).status).toBe(200);
  });
});

describe('bad input is a 400 with a JSON message, never a 500', () => {
  const cases: [string, string, RegExp][] = [
    ['missing q', '/quotes/search', /q is required/],
    ['empty q', '/quotes/search?q=', /q must not be empty/],
    ['blank q', '/quotes/search?q=%20%20', /q must not be empty/],
    ['10,000-character q', `/quotes/search?q=${'a'.repeat(10_000)}`, /q must be at most 500 characters/],
    ['limit 0', '/quotes/search?q=love&limit=0', /limit must be a whole number from 1 to 50/],
    ['limit too large', '/quotes/search?q=love&limit=51', /limit must be a whole number from 1 to 50/],
    ['limit not a number', '/quotes/search?q=love&limit=ten', /limit must be a whole number/],
    ['limit with SQL', '/quotes?limit=1;DROP%20TABLE%20quotes', /limit must be a whole number from 1 to 100/],
    ['non-numeric id', '/quotes/abc', /id must be a positive whole number/],
    ['id with SQL', '/quotes/1%20OR%201=1', /id must be a positive whole number/],
    ['negative id', '/quotes/-1', /id must be a positive whole number/],
    ['id above 2^53', '/quotes/9007199254740993', /^id "9007199254740993" is too large: ids go up to 9007199254740991$/],
    ['id of 17 digits', '/quotes/12345678901234567', /is too large: ids go up to 9007199254740991/],
    ['invalid UTF-8 in the query', '/quotes/search?q=%FF%FE', /invalid UTF-8/],
    ['truncated UTF-8 sequence', '/quotes/search?q=caf%C3', /invalid UTF-8/],
    ['broken escape', '/quotes/search?q=love%2', /invalid percent-encoding/],
    ['escape without hex digits', '/quotes/search?q=love%ZZ', /invalid percent-encoding/],
    ['invalid UTF-8 in the path', '/quotes/%C3%28', /invalid UTF-8|bad request/],
    ['NUL byte', '/quotes/search?q=a%00b', /control characters/],
    ['unknown parameter', '/quotes/search?q=love&autor=Rumi', /unknown query parameter "autor": allowed are q, limit, author/],
    ['unknown parameter on /quotes/:id', '/quotes/1?verbose=1', /unknown query parameter "verbose"/],
    ['unknown parameter on /authors', '/authors?page=2', /unknown query parameter "page"/],
    ['repeated parameter', '/quotes/search?q=a&q=b', /more than once/],
    ['forged cursor', '/quotes?cursor=abc', /cursor is not one this API issued/],
    ['punctuation only', '/quotes/search?q=!!!', /q has no words to search for/],
    ['lone surrogate (CESU-style) refused, not replaced', '/quotes/search?q=%ED%A0%80', /invalid UTF-8/],
    ['C1 control character', '/quotes/search?q=a%C2%85b', /control characters/],
  ];
  for (const [name, path, message] of cases) {
    it(name, async () => {
      // Twice: a URL seen before must fail the same way (the search route remembers good URLs only).
      for (let attempt = 0; attempt < 2; attempt++) {
        const { status, body, headers } = await getJson(base + path);
        expect(status, JSON.stringify(body)).toBe(400);
        expect(headers.get('content-type')).toMatch(/application\/json/);
        expect(typeof body.error).toBe('string');
        expect(body.message).toMatch(message);
      }
    });
  }

  it('an oversized id names the parameter without echoing it back', async () => {
    const { status, body } = await getJson(`${base}/quotes/${'9'.repeat(10_000)}`);
    expect(status).toBe(400);
    expect(body.message).toMatch(/^id "9{40}\.\.\." \(10000 characters\) is too large: ids go up to 9007199254740991$/);
    const unknown = await getJson(`${base}/quotes/search?q=love&${'k'.repeat(5_000)}=1`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.message.length).toBeLessThan(200);
    const route = await getJson(`${base}/nope/${'x'.repeat(10_000)}`);
    expect(route.status).toBe(404);
    expect(route.body.message.length).toBeLessThan(200);
  });

  it('oversized headers: 431 in the documented {error, message} shape', async () => {
    const { request } = await import('node:http');
    const url = new URL(base);
    const answer = await new Promise<{ status: number; type: string; version: unknown; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/quotes', headers: { 'x-big': 'a'.repeat(20_000) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            type: String(res.headers['content-type']),
            version: res.headers['x-quote-api-version'],
            body,
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(431);
    expect(answer.type).toMatch(/application\/json/);
    expect(answer.version).toBe(VERSION);
    expect(JSON.parse(answer.body)).toEqual({ error: 'headers_too_large', message: expect.stringMatching(/headers are too large/) });
  });

  it('a 1 MB URL is answered 414 naming the URL, not cookies or tokens', async () => {
    const { connect } = await import('node:net');
    const url = new URL(base);
    const raw = await new Promise<string>((resolve, reject) => {
      let answer = '';
      const socket = connect(Number(url.port), url.hostname, () =>
        socket.end(`GET /quotes/search?q=${'a'.repeat(1 << 20)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      );
      socket.on('data', (c: Buffer) => (answer += c.toString()));
      socket.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
      );
      socket.on('close', () => resolve(answer));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 414 /);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: string; message: string };
    expect(body.error).toBe('url_too_long');
    expect(body.message).toMatch(/URL is too long/);
    expect(body.message).not.toMatch(/cookies/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { status, body } = await getJson(`${base}/nope/42`);
    expect(status).toBe(404);
    expect(body).toEqual({ error: 'not_found', message: 'no route for GET /nope/42' });
  });
});

describe('POST /quotes', () => {
  const post = (body: unknown, token: string | null = TOKEN, raw?: Buffer) =>
    getJson(`${base}/quotes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: raw ?? JSON.stringify(body),
    });

  it('requires the bearer token', async () => {
    const none = await post({ quote: 'x', author: 'y' }, null);
    expect(none.status).toBe(401);
    expect(none.body.message).toMatch(/Authorization: Bearer/);
    const wrong = await post({ quote: 'x', author: 'y' }, 'not-the-token-at-all');
    expect(wrong.status).toBe(401);
  });

  it('stores and embeds a new quote, then finds it by search', async () => {
    const created = await post({ quote: 'Quantum kittens dream in superposition.', author: 'Test Author' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/quotes/${created.body.id}`);
    expect(created.body).toMatchObject({ quote: 'Quantum kittens dream in superposition.', author: 'Test Author', duplicate: false });
    const found = await getJson(`${base}/quotes/search?q=quantum%20kittens%20superposition&limit=1`);
    expect(found.body[0].id).toBe(created.body.id);
  });

  it('detects a duplicate by content (case and spacing ignored) and stores nothing new', async () => {
    const original = fixture[3]!;
    const before = (await getJson(`${base}/authors`)).body.find((a: { name: string }) => a.name === original.author).count;
    const again = await post({ quote: `  ${original.quote.toUpperCase().replace(/ /g, '   ')} `, author: original.author.toLowerCase() });
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.quote).toBe(original.quote);
    const after = (await getJson(`${base}/authors`)).body.find((a: { name: string }) => a.name === original.author).count;
    expect(after).toBe(before);
  });

  it('refuses bad bodies with 400s', async () => {
    expect((await post({ quote: '', author: 'A' })).body.message).toMatch(/quote must not be empty/);
    expect((await post({ quote: 'q'.repeat(2001), author: 'A' })).body.message).toMatch(/quote must be at most 2000/);
    // A lone surrogate is refused, not stored as U+FFFD; 2000 emoji are 2000 characters, not 4000.
    const lone = await post(undefined, TOKEN, Buffer.from('{"quote":"half \\ud800 a pair","author":"A"}'));
    expect(lone.status).toBe(400);
    expect(lone.body.message).toMatch(/quote must be valid Unicode/);
    expect((await post({ quote: '😀'.repeat(2001), author: 'A' })).body.message).toMatch(/quote must be at most 2000/);
    expect((await post({ quote: 'fine', author: 'A', extra: 1 })).status).toBe(400);
    expect((await post({ quote: 42, author: 'A' })).body.message).toMatch(/quote must be text/);
    expect((await post({ author: 'A' })).body.message).toMatch(/quote is required/);
    const badJson = await post(undefined, TOKEN, Buffer.from('{"quote": '));
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toBe('bad_json');
    const badUtf8 = await post(
      undefined,
      TOKEN,
      Buffer.concat([Buffer.from('{"quote":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('","author":"A"}')]),
    );
    expect(badUtf8.status).toBe(400);
    expect(badUtf8.body.message).toMatch(/not valid UTF-8/);
    const wrongType = await getJson(`${base}/quotes`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` },
      body: 'hello',
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error).toBe('unsupported_media_type');
    expect(wrongType.body.message).toBe(
      'this API takes JSON bodies only, not content type "text/plain": send the header content-type: application/json',
    );
    const noType = await getJson(`${base}/quotes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new Uint8Array(Buffer.from('{"quote":"q","author":"A"}')),
    });
    expect(noType.status).toBe(415);
    expect(noType.body.message).toMatch(/not a body without a content type: send the header content-type: application\/json$/);
    const notAnObject = await post(['quote', 'author']);
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.body.message).toMatch(/body must be a JSON object/);
    const tooBig = await post({ quote: 'x'.repeat(20_000), author: 'A' });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error).toBe('body_too_large');
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin, and not from others', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/quotes`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight(ALLOWED_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const denied = await preflight('https://evil.example.net');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${base}/authors`, { headers: { origin: ALLOWED_ORIGIN } });
    expect(simple.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
  });
});

describe('observability', () => {
  it('labels HTTP metrics with route templates, never raw paths', async () => {
    await getJson(`${base}/quotes/1`);
    await getJson(`${base}/quotes/2`);
    await getJson(`${base}/quotes/123456`);
    await getJson(`${base}/no/such/${Date.now()}`);
    const text = await (await fetch(`${base}/metrics`)).text();
    const requestLines = text.split('\n').filter((l) => l.startsWith('http_requests_total{'));
    expect(requestLines.some((l) => l.includes('route="/quotes/:id"') && l.includes('status="200"'))).toBe(true);
    expect(requestLines.some((l) => l.includes('route="/quotes/:id"') && l.includes('status="404"'))).toBe(true);
    expect(requestLines.some((l) => l.includes('route="unmatched"'))).toBe(true);
    for (const line of requestLines) expect(line).not.toMatch(/route="\/quotes\/\d|route="\/no\//);
    for (const name of [
      'http_request_duration_seconds_bucket',
      'http_requests_in_flight',
      'quotes_embedding_requests_total{provider="local",outcome="success"}',
      'quotes_embedding_request_duration_seconds_count{provider="local"}',
      'quotes_cache_operations_total{cache="search",result="hit"}',
      'quotes_cache_operations_total{cache="embedding",result="miss"}',
      'quotes_db_pool_connections{state="total"}',
      'quotes_db_pool_connections{state="idle"}',
      'quotes_db_pool_connections{state="waiting"}',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(name);
    }
  });

  it('names its version (APP_VERSION) in a header on every response and as a label of the HTTP series', async () => {
    const answers = await Promise.all(
      ['/quotes/1', '/quotes/abc', '/nope', '/quotes/%C3%28', '/healthz', '/metrics'].map((path) => fetch(base + path)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 400, 404, 400, 200, 200]);
    for (const answer of answers) expect(answer.headers.get('x-quote-api-version'), answer.url).toBe(VERSION);
    const preflight = await fetch(`${base}/quotes`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('x-quote-api-version')).toBe(VERSION);

    const text = await (await fetch(`${base}/metrics`)).text();
    const series = text.split('\n').filter((l) => /^http_request(s_total|_duration_seconds_(bucket|sum|count))\{/.test(l));
    expect(series.length).toBeGreaterThan(0);
    for (const line of series) expect(line).toContain(`version="${VERSION}"`);
    expect(
      series.some((l) => l.startsWith('http_requests_total{') && l.includes('route="/quotes/:id"') && l.includes('status="400"')),
    ).toBe(true);
  });

  it('exposes metrics that promtool parses, with no lint problems in ours', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const result = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
    // Exit 3 is "lint problems"; prom-client's own nodejs_*_total gauges always trigger one.
    expect([0, 3], result.stderr).toContain(result.exitCode);
    const problems = `${result.stdout}\n${result.stderr}`.split('\n').filter((l) => l.trim());
    expect(problems.filter((l) => !/^\s*nodejs_active_\w+_total non-counter metrics/.test(l))).toEqual([]);
  });

  it('counts a repeated search as a cache hit', async () => {
    const hits = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(/quotes_cache_operations_total\{cache="search",result="hit"\} (\d+)/.exec(text)![1]);
    };
    const before = await hits();
    const first = await getJson(`${base}/quotes/search?q=courage%20and%20fear`);
    const second = await getJson(`${base}/quotes/search?q=Courage%20AND%20fear`);
    const third = await getJson(`${base}/quotes/search?q=courage%20and%20fear`);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    expect(await hits()).toBe(before + 2);
  });

  it('counts each request once in http_requests_total, however often it is scraped', async () => {
    const count = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('http_requests_total{') && l.includes('route="/authors"') && l.includes('status="200"'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = await count();
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/authors`)).status).toBe(200);
    expect(await count()).toBe(before + 3);
    expect(await count()).toBe(before + 3);
    await fetch(`${base}/authors`);
    expect(await count()).toBe(before + 4);
  });

  it('writes JSON access logs with a request id and without secrets', async () => {
    const response = await fetch(`${base}/quotes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'trace-abc-123', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
    const lines = captured.lines();
    const line = lines.find((l) => l.reqId === 'trace-abc-123' && l.msg === 'request');
    expect(line).toMatchObject({ method: 'POST', route: '/quotes', status: 400, level: 'info' });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    const forged = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'x'.repeat(500) } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports readiness with the database and cache state', async () => {
    const { status, body } = await getJson(`${base}/readyz`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: 'ready',
      database: 'ok',
      cache: { kind: 'memory', state: 'ready' },
      migrations: { current: 1, expected: 1 },
    });
    expect((await getJson(`${base}/healthz`)).body).toEqual({ status: 'ok' });
  });
});

describe('embedding model mismatch', () => {
  it('refuses to search vectors made by another model and says to re-embed', async () => {
    // A second service over the same data, configured for a different model than the stored vectors.
    const other = await startService(testConfig(db.url), {
      embedder: {
        kind: 'openai',
        model: 'text-embedding-3-large',
        dimensions: 1536,
        embed: async (texts) => new LocalEmbedder().embed(texts),
      },
    });
    try {
      const { status, body } = await getJson(`${other.url}/quotes/search?q=love`);
      expect(status).toBe(503);
      expect(body.error).toBe('embedding_model_mismatch');
      expect(body.message).toContain('"qctl-local-lexical-v1"');
      expect(body.message).toContain('"text-embedding-3-large"');
      expect(body.message).toContain('qctl seed --reembed');
    } finally {
      await other.stop();
    }
  });
});
