import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dummyJsonPages } from '../../app/seed/dummyjson.js';
import { SeedError } from '../../app/seed/errors.js';
import { createProgressPrinter } from '../../app/seed/progress.js';
import { checkRecord } from '../../app/seed/records.js';
import { parseRetryAfter } from '../../app/seed/retry.js';
import { SAMPLE_QUOTES } from '../../app/seed/sample-quotes.js';
import { parseSourceSpec, readSource } from '../../app/seed/sources.js';
import { freePort } from '../helpers/ports.js';
import { loadQuoteFixture, QUOTES_PATH } from '../helpers/quotes-fixture.js';
import { startFakeDummyJson, type FakeDummyJson } from './fake-dummyjson.js';

async function collect(pages: AsyncIterable<{ records: unknown[]; total?: number }>) {
  const records: unknown[] = [];
  let count = 0;
  for await (const page of pages) {
    records.push(...page.records);
    count++;
  }
  return { records, pages: count };
}

describe('DummyJSON pager', () => {
  const quotes = loadQuoteFixture();
  let api: FakeDummyJson;
  beforeAll(async () => {
    api = await startFakeDummyJson(quotes);
  });
  afterAll(async () => {
    await api.stop();
  });

  it('pages with limit/skip until total and returns every quote in order', async () => {
    api.requests.length = 0;
    const { records, pages } = await collect(dummyJsonPages({ baseUrl: api.url, pageSize: 100 }));
    expect(records).toHaveLength(1454);
    expect(records).toEqual(quotes);
    expect(pages).toBe(15);
    expect(api.requests.map((r) => r.skip)).toEqual(Array.from({ length: 15 }, (_, i) => i * 100));
    expect(api.requests.every((r) => r.limit === 100)).toBe(true);
  });

  it('retries a 503 and a 429 (honoring Retry-After) and still gets every page', async () => {
    api.requests.length = 0;
    api.failNext({ status: 503 }, { status: 429, retryAfter: '1' });
    const started = Date.now();
    const { records } = await collect(dummyJsonPages({ baseUrl: api.url, pageSize: 500, backoffMs: 10 }));
    expect(records).toHaveLength(1454);
    expect(api.requests.slice(0, 3).map((r) => [r.skip, r.status])).toEqual([
      [0, 503],
      [0, 429],
      [0, 200],
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('gives up after the retry budget with one line naming the URL and the fix', async () => {
    api.failNext({ status: 500 }, { status: 500 }, { status: 500 });
    const error = await collect(dummyJsonPages({ baseUrl: api.url, maxRetries: 2, backoffMs: 5 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeedError);
    expect((error as SeedError).message).toMatch(
      /cannot fetch quotes from http:\/\/127\.0\.0\.1:\d+\/quotes\?limit=100&skip=0 \(HTTP 500.*\) after 3 attempts: .*--source file:PATH/,
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('does not retry a 404', async () => {
    const before = api.requests.length;
    const error = await collect(dummyJsonPages({ baseUrl: `${api.url}/nope`, maxRetries: 3, backoffMs: 5 })).catch((e: unknown) => e);
    expect((error as Error).message).toContain('HTTP 404');
    expect((error as Error).message).toContain(') after 1 attempt: ');
    expect(api.requests.length).toBe(before); // the 404 route is not /quotes, so nothing recorded
  });

  it('does not wait out a Retry-After over the cap, and says so', async () => {
    api.requests.length = 0;
    api.failNext({ status: 429, retryAfter: '3600' });
    const error = await collect(dummyJsonPages({ baseUrl: api.url, maxRetries: 3, backoffMs: 5 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeedError);
    expect((error as Error).message).toMatch(/\(HTTP 429.*Retry-After of 3600 s is over the 60 s we wait\) after 1 attempt: /);
    expect(api.requests.map((r) => r.status)).toEqual([429]);
  });

  it('reports an unreachable API clearly', async () => {
    const port = await freePort();
    const error = await collect(dummyJsonPages({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1, backoffMs: 5 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SeedError);
    expect((error as SeedError).kind).toBe('usage');
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});

describe('source specs and files', () => {
  it.each([
    ['dummyjson', { kind: 'dummyjson' }],
    ['-', { kind: 'stdin' }],
    ['sample', { kind: 'sample' }],
    ['file:./q.json', { kind: 'file', path: './q.json' }],
  ])('parses %s', (spec, expected) => {
    expect(parseSourceSpec(spec)).toEqual(expected);
  });

  it('rejects an unknown source naming the choices', () => {
    expect(() => parseSourceSpec('https://example.com/q.json')).toThrow(
      /unknown source "https:\/\/example\.com\/q\.json": use dummyjson, file:PATH, - \(stdin\) or sample/,
    );
    expect(() => parseSourceSpec('file:')).toThrow(/needs a path/);
  });

  it('reads the shared file as one page of 1454 records', async () => {
    const { records } = await collect(readSource(parseSourceSpec(`file:${QUOTES_PATH}`)));
    expect(records).toHaveLength(1454);
  });

  it('reads stdin, accepting the DummyJSON answer shape too', async () => {
    const stdin = Readable.from([JSON.stringify({ quotes: [{ quote: 'a', author: 'b' }], total: 1 })]);
    const { records } = await collect(readSource({ kind: 'stdin' }, { stdin }));
    expect(records).toEqual([{ quote: 'a', author: 'b' }]);
  });

  it('names a missing file and bad JSON', async () => {
    await expect(collect(readSource({ kind: 'file', path: '/nonexistent/q.json' }))).rejects.toThrow(
      /^no quotes file at \/nonexistent\/q\.json: check the path \(a relative one starts at the working directory, \/.*\)$/,
    );
    const stdin = Readable.from(['{not json']);
    await expect(collect(readSource({ kind: 'stdin' }, { stdin }))).rejects.toThrow(/standard input is not valid JSON/);
    await expect(collect(readSource({ kind: 'stdin' }, { stdin: Readable.from(['{"a":1}']) }))).rejects.toThrow(/must hold a JSON array/);
  });

  it('ships a sample of valid, distinct quotes', () => {
    const checks = SAMPLE_QUOTES.map((q, i) => checkRecord(q, i));
    expect(checks.every((c) => c.ok)).toBe(true);
    const hashes = new Set(checks.map((c) => (c.ok ? c.quote.hash : '')));
    expect(hashes.size).toBe(SAMPLE_QUOTES.length);
    expect(SAMPLE_QUOTES.length).toBeGreaterThanOrEqual(30);
  });
});

describe('record validation', () => {
  it.each([
    [{ author: 'A' }, 'missing quote'],
    [{ quote: 'Q' }, 'missing author'],
    [{ quote: '   ', author: 'A' }, 'quote must not be empty'],
    [{ quote: 'Q', author: '' }, 'author must not be empty'],
    [{ quote: 'x'.repeat(2001), author: 'A' }, 'quote must be at most 2000 characters'],
    [{ quote: 'Q', author: 'y'.repeat(201) }, 'author must be at most 200 characters'],
    ['just text', 'not an object with quote and author'],
    [null, 'not an object with quote and author'],
    [{ quote: 'a\u0000b', author: 'A' }, 'quote must not contain control characters (found U+0000)'],
    [{ quote: 'bell\u0007', author: 'A' }, 'quote must not contain control characters (found U+0007)'],
    [{ quote: 'Q', author: 'C1 \u0085 char' }, 'author must not contain control characters (found U+0085)'],
    [{ quote: 'lone \ud800 surrogate', author: 'A' }, 'quote must be valid Unicode (it holds a lone UTF-16 surrogate)'],
    [{ quote: 'Q', author: 'trailing \udc00' }, 'author must be valid Unicode (it holds a lone UTF-16 surrogate)'],
  ])('rejects %j: %s', (raw, reason) => {
    expect(checkRecord(raw, 7)).toEqual({ ok: false, invalid: { index: 7, reason } });
  });

  it('counts length in characters, not UTF-16 units: 2000 emoji fit, 2001 do not', () => {
    expect(checkRecord({ quote: '😀'.repeat(2000), author: 'A' }, 0).ok).toBe(true);
    expect(checkRecord({ quote: '😀'.repeat(2001), author: 'A' }, 0)).toMatchObject({
      ok: false,
      invalid: { reason: 'quote must be at most 2000 characters' },
    });
    expect(checkRecord({ quote: 'tabs\tand\nnewlines are text', author: 'A' }, 0).ok).toBe(true);
  });

  it('trims text, ignores extra fields and keys by content', () => {
    const a = checkRecord({ id: 1, quote: '  Be bold. ', author: 'Someone ' }, 0);
    const b = checkRecord({ quote: 'BE   bold.', author: 'someone' }, 1);
    expect(a.ok && a.quote.quote).toBe('Be bold.');
    expect(a.ok && b.ok && a.quote.hash === b.quote.hash).toBe(true);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('progress output', () => {
  const sink = () => {
    const chunks: string[] = [];
    return { stream: { write: (c: string) => chunks.push(c) } as unknown as NodeJS.WritableStream, text: () => chunks.join('') };
  };
  const progress = { phase: 'loading' as const, fetched: 500, total: 1454, embedded: 256, inserted: 256, skipped: 10, invalid: 2 };

  it('draws one redrawn bar line with counts, rate and ETA on a terminal', () => {
    const out = sink();
    const printer = createProgressPrinter(out.stream, true);
    printer.seed(progress);
    printer.finish();
    expect(out.text()).toMatch(
      /^\r\x1b\[2Kseed \[#+-+\] \d+% fetched 500\/1454, embedded 256, inserted 256, skipped 10, invalid 2 \d+\/s( ETA \d+s)?\r\x1b\[2K$/,
    );
  });

  it('prints plain lines without control characters otherwise', () => {
    const out = sink();
    const printer = createProgressPrinter(out.stream, false);
    printer.seed(progress);
    printer.seed({ ...progress, phase: 'indexing' });
    printer.finish();
    expect(out.text()).toMatch(
      /^seed: fetched 500\/1454, embedded 256, inserted 256, skipped 10, invalid 2 \(\d+\/s\)\nseed: building the vector index\n$/,
    );
  });
});
