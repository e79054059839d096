import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../app/observability/metrics.js';

/** One series' value from the exposition text. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no series ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

const SEARCH_200 = 'method="GET",route="/quotes/search",status="200",version="v1"';

describe('HTTP and cache metrics (counted on the hot path, handed to prom-client when read)', () => {
  it('exposes every request exactly, across batches and repeated scrapes', async () => {
    const metrics = createMetrics({ defaultMetrics: false, version: 'v1' });
    // 600 requests: more than two batches of durations, and a part batch left over.
    for (let i = 0; i < 600; i++) metrics.observeHttp('GET', '/quotes/search', 200, i % 2 === 0 ? 0.0005 : 0.02);
    metrics.observeHttp('GET', '/quotes/search', 503, 1.5);
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await metrics.registry.metrics();
      expect(value(text, `http_requests_total{${SEARCH_200}}`)).toBe(600);
      expect(value(text, `http_request_duration_seconds_count{${SEARCH_200}}`)).toBe(600);
      expect(value(text, `http_request_duration_seconds_bucket{le="0.001",${SEARCH_200}}`)).toBe(300);
      expect(value(text, `http_request_duration_seconds_bucket{le="0.025",${SEARCH_200}}`)).toBe(600);
      expect(value(text, `http_request_duration_seconds_sum{${SEARCH_200}}`)).toBeCloseTo(300 * 0.0005 + 300 * 0.02, 9);
      expect(value(text, 'http_requests_total{method="GET",route="/quotes/search",status="503",version="v1"}')).toBe(1);
    }
    metrics.observeHttp('GET', '/quotes/search', 200, 0.0005);
    expect(value(await metrics.registry.metrics(), `http_request_duration_seconds_count{${SEARCH_200}}`)).toBe(601);
  });

  it('counts cache lookups and the requests in flight as of the scrape', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 5; i++) metrics.cache('search', 'hit');
    metrics.cache('embedding', 'error');
    metrics.requestInFlight(1);
    metrics.requestInFlight(1);
    metrics.requestInFlight(-1);
    let text = await metrics.registry.metrics();
    expect(value(text, 'quotes_cache_operations_total{cache="search",result="hit"}')).toBe(5);
    expect(value(text, 'quotes_cache_operations_total{cache="search",result="miss"}')).toBe(0);
    expect(value(text, 'quotes_cache_operations_total{cache="embedding",result="error"}')).toBe(1);
    expect(value(text, 'http_requests_in_flight')).toBe(1);
    metrics.cache('search', 'hit');
    metrics.requestInFlight(-1);
    text = await metrics.registry.metrics();
    expect(value(text, 'quotes_cache_operations_total{cache="search",result="hit"}')).toBe(6);
    expect(value(text, 'http_requests_in_flight')).toBe(0);
  });
});
