import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { startService, type RunningService } from '../../app/main.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';
import { insertQuotes, testConfig } from './support.js';

let db: EmbeddedPostgres;
let service: RunningService;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [db, browser] = await Promise.all([startTestPostgres(), launchChromium()]);
  service = await startService(testConfig(db.url), { migrate: true });
  await service.databaseReady;
  const fixture = loadQuoteFixture();
  // The first 120, and the shipped pair that differs only in case and a comma.
  const humble = fixture.filter((q) => /hard to be humble/i.test(q.quote));
  await insertQuotes(service.repository, new LocalEmbedder(), [...fixture.slice(0, 120), ...humble]);
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await db?.stop();
});

// Functions passed to page.evaluate run in the browser. The repo's TypeScript has no DOM lib
// (and the page's CSP forbids string eval), so they reach `document` through an untyped globalThis.
describe('search page in Chromium', () => {
  it('searches: type a query, see results with author and score', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(service.url + '/');
    expect(await page.title()).toBe('Quote search');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#author option').length > 1);

    await page.fill('#q', 'heart ocean hidden depths');
    await page.click('button[type=submit]');
    await page.waitForSelector('#results li.result');
    const first = await page.$eval('#results li.result', (li) => ({
      quote: li.querySelector('blockquote')!.textContent,
      author: li.querySelector('.author')!.textContent,
      score: li.querySelector('.score')!.textContent,
    }));
    expect(first.quote).toMatch(/Your heart is the size of an ocean/);
    expect(first.author).toBe('— Rumi');
    expect(first.score).toMatch(/^score 0\.\d{3}$/);
    expect(await page.textContent('#status')).toMatch(/^10 results$/);
    expect(errors).toEqual([]);
  });

  it('is same-origin only when CORS_ORIGINS is not set', async () => {
    const response = await fetch(`${service.url}/authors`, { headers: { origin: 'https://elsewhere.example.com' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('filters by the chosen author', async () => {
    await page.selectOption('#author', 'Muhammad Ali');
    await page.waitForFunction(() => {
      const authors = [...(globalThis as any).document.querySelectorAll('#results .author')].map(
        (a: { textContent: string }) => a.textContent,
      );
      return authors.length > 0 && authors.every((a) => a === '— Muhammad Ali');
    });
    const authors = await page.$$eval('#results .author', (els) => els.map((e) => e.textContent));
    expect(new Set(authors)).toEqual(new Set(['— Muhammad Ali']));
  });

  it('shows the empty state and the error state', async () => {
    // Empty: an author filter that matches nobody (the list only offers real authors, so add one).
    await page.fill('#q', 'love');
    await page.evaluate(() =>
      (globalThis as any).document.getElementById('author').add(new (globalThis as any).Option('Nobody', 'Zzqx Vvwy')),
    );
    await page.selectOption('#author', 'Zzqx Vvwy');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('status').textContent.startsWith('No quotes match'));
    expect(await page.$$('#results li')).toHaveLength(0);

    // Error: a query the API refuses (the input's maxlength would normally prevent it).
    await page.selectOption('#author', '');
    await page.evaluate(() => (globalThis as any).document.getElementById('q').removeAttribute('maxlength'));
    await page.fill('#q', 'y'.repeat(600));
    await page.click('button[type=submit]');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('status').dataset.state === 'error');
    expect(await page.textContent('#status')).toBe('Search failed: q must be at most 500 characters');
    expect(await page.$$('#results li')).toHaveLength(0);
  });

  const statusText = () => (globalThis as any).document.getElementById('status').textContent as string;

  it('keeps the search in the address bar: a reload, a shared link and Back show it again', async () => {
    await page.goto(service.url + '/');
    await page.fill('#q', 'heart ocean hidden depths');
    await page.click('button[type=submit]');
    await page.waitForSelector('#results li.result');
    expect(new URL(page.url()).searchParams.get('q')).toBe('heart ocean hidden depths');

    await page.reload();
    await page.waitForSelector('#results li.result');
    expect(await page.inputValue('#q')).toBe('heart ocean hidden depths');
    expect(await page.textContent('#results li.result blockquote')).toMatch(/Your heart is the size of an ocean/);

    // A link someone shared, with an author filter, opened in a fresh tab.
    const shared = await browser.newPage();
    try {
      await shared.goto(`${service.url}/?q=${encodeURIComponent('love')}&author=${encodeURIComponent('Muhammad Ali')}`);
      await shared.waitForSelector('#results li.result');
      expect(await shared.inputValue('#q')).toBe('love');
      await shared.waitForFunction(() => (globalThis as any).document.querySelectorAll('#author option').length > 2);
      expect(await shared.inputValue('#author')).toBe('Muhammad Ali');
      expect(new Set(await shared.$$eval('#results .author', (els) => els.map((e) => e.textContent)))).toEqual(new Set(['— Muhammad Ali']));
    } finally {
      await shared.close();
    }

    await page.fill('#q', 'patience');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => new URL((globalThis as any).location.href).searchParams.get('q') === 'patience');
    await page.goBack();
    await page.waitForFunction(() => (globalThis as any).document.getElementById('q').value === 'heart ocean hidden depths');
    await page.waitForFunction(() =>
      /Your heart is the size of an ocean/.test((globalThis as any).document.querySelector('#results li.result blockquote').textContent),
    );
  });

  it('shows a quote once when the data holds it twice in different letter case', async () => {
    await page.goto(`${service.url}/?q=${encodeURIComponent('hard to be humble great')}`);
    await page.waitForSelector('#results li.result');
    const quotes = await page.$$eval('#results blockquote', (els) => els.map((e) => e.textContent!));
    expect(quotes.filter((q) => /hard to be humble/i.test(q))).toHaveLength(1);
    expect(quotes).toHaveLength(10);
  });

  it('says when nothing matches well, and still shows the nearest quotes', async () => {
    await page.goto(`${service.url}/?q=zzzzqqq`);
    await page.waitForFunction(() => /No close matches/.test((globalThis as any).document.getElementById('status').textContent));
    expect(await page.evaluate(statusText)).toBe('No close matches for “zzzzqqq”. The nearest quotes, none of them a good match:');
    expect((await page.$$('#results li.result')).length).toBeGreaterThan(0);

    await page.fill('#q', 'heart ocean hidden depths');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => /^\d+ results?$/.test((globalThis as any).document.getElementById('status').textContent));
  });
});
