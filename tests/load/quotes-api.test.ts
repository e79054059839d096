import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { startService, type RunningService } from '../../app/main.js';
import { executeLoad } from '../../bin/load/run.js';
import { parseQuotesMix, quotesScenario } from '../../bin/load/scenario.js';
import { parseSlos } from '../../bin/load/slo.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';
import { insertQuotes, testConfig } from '../app/support.js';

// The quotes scenario against the real quote API (embedded Postgres, offline embedder): every
// request kind must be one the API answers with 200, in the configured proportions.
let db: EmbeddedPostgres;
let service: RunningService;

beforeAll(async () => {
  db = await startTestPostgres();
  service = await startService(testConfig(db.url), { migrate: true, embedder: new LocalEmbedder() });
  await service.databaseReady;
  const seen = new Set<string>();
  const quotes = loadQuoteFixture()
    .filter((q) => !seen.has(q.quote) && seen.add(q.quote))
    .slice(0, 60);
  await insertQuotes(service.repository, new LocalEmbedder(), quotes);
});

afterAll(async () => {
  await service?.stop();
  await db?.stop();
});

async function routeCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^http_requests_total\{([^}]*)\} (\d+)/gm)) {
    const route = /route="([^"]*)"/.exec(match[1]!)?.[1] ?? '';
    const status = /status="([^"]*)"/.exec(match[1]!)?.[1] ?? '';
    counts[`${route} ${status}`] = (counts[`${route} ${status}`] ?? 0) + Number(match[2]);
  }
  return counts;
}

describe('quotes scenario against the quote API', () => {
  it('sends list, get-by-id, authors and search requests that the API answers with 200, in the mix given', async () => {
    const scenario = await quotesScenario(new URL(service.url), {
      mix: parseQuotesMix('list=1,get=1,authors=1,search=1'),
      timeoutMs: 2000,
    });
    expect(scenario.description).toContain('ids and words from');
    const before = await routeCounts();
    const report = await executeLoad({
      targetUrl: service.url,
      scenario,
      rate: 40,
      durationMs: 2000,
      maxInflight: 100,
      timeoutMs: 5000,
      slos: parseSlos('errors<0.1%'),
    });
    expect(report.statusCodes).toEqual({ '200': 80 });
    expect(report.verdict).toBe('pass');

    const after = await routeCounts();
    const delta = (key: string): number => (after[key] ?? 0) - (before[key] ?? 0);
    const kinds = {
      list: delta('/quotes 200'),
      get: delta('/quotes/:id 200'),
      authors: delta('/authors 200'),
      search: delta('/quotes/search 200'),
    };
    // Warm-up requests are answered too, so the API saw a little more than the 80 counted: 20, then
    // one each over the connections the rate keeps busy when that is more than the 10 opened
    // (40 req/s x (median latency + 10 ms): under 40 while the API answers within a second).
    const total = kinds.list + kinds.get + kinds.authors + kinds.search;
    expect(total).toBeGreaterThanOrEqual(80);
    expect(total).toBeLessThanOrEqual(80 + 20 + 40);
    // Equal weights: each kind about a quarter (well mixed from the first request on, not in blocks).
    for (const count of Object.values(kinds)) expect(count / total).toBeGreaterThan(0.1);
  });
});
