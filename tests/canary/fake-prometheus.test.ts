import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionQueries } from '../../bin/canary/version-metrics.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { startFakePrometheus, type FakePrometheus } from '../helpers/fake-prometheus.js';

/**
 * The fake Prometheus answers as the real one did (tests/fixtures/prometheus/query-responses.json,
 * recorded by tests/canary/real-prometheus.test.ts with QCTL_RECORD_PROMETHEUS=1 from Debian's
 * prometheus 2.42 scraping real API processes, for the very queries qctl sends): same envelope,
 * same vector items (metric labels, [unix seconds, value as a string]), NaN spelt "NaN", an
 * empty result for no series, the pre-flight count, and 400 bad_data for a query it cannot answer.
 */
type Answer = { httpStatus: number; contentType: string; body: unknown };
type Recorded = Record<'vector' | 'nan' | 'empty' | 'scraped', unknown> & { badQuery: Answer };
const recorded = JSON.parse(readFileSync(repoPath('tests/fixtures/prometheus/query-responses.json'), 'utf8')) as Recorded;

/** The structure of a JSON value: its keys and the types of its leaves, with numeric strings and "NaN" told apart. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  if (typeof value === 'string') return value === 'NaN' ? 'NaN' : /^-?\d/.test(value) ? 'numeric string' : 'string';
  return typeof value;
}

let prometheus: FakePrometheus;
beforeAll(async () => {
  prometheus = await startFakePrometheus();
  prometheus.set('quotes-dev', '1.0.0', { requests: 77.9, errors: 0, p99Seconds: 0.25 });
  prometheus.set('quotes-dev', '2.0.0', { requests: 0, errors: 0, p99Seconds: 0.25 });
});
afterAll(async () => {
  await prometheus.stop();
});

const ask = async (expr: string) => {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as unknown };
};
const WINDOW = { startMs: Date.parse('2026-12-07T02:00:00Z'), endMs: Date.parse('2026-12-07T02:00:30Z') };
const queries = versionQueries('quotes-dev', WINDOW);

describe('fake Prometheus against recorded answers', () => {
  it('answers a vector of labelled samples as Prometheus does', async () => {
    expect(shape((await ask(queries.requests)).body)).toEqual(shape(recorded.vector));
  });
  it('spells a quantile without traffic NaN, in the same place', async () => {
    const { body } = await ask(queries.p99);
    expect(shape(body)).toEqual(shape(recorded.nan));
    const results = (body as { data: { result: { metric: { version: string }; value: [number, string] }[] } }).data.result;
    expect(results.find((r) => r.metric.version === '2.0.0')?.value[1]).toBe('NaN');
    expect(results.find((r) => r.metric.version === '1.0.0')?.value[1]).toBe('0.25');
  });
  it('answers an empty vector when no version has a series', async () => {
    expect((await ask(versionQueries('quotes-prod', WINDOW).requests)).body).toEqual(recorded.empty);
  });
  it('counts the series of a scraped namespace for the pre-flight check', async () => {
    expect(shape((await ask('count(last_over_time(http_requests_total{namespace="quotes-dev"}[5m]))')).body)).toEqual(
      shape(recorded.scraped),
    );
  });
  it('refuses a query it does not know with the real 400 bad_data answer', async () => {
    const answer = await ask('bad(((');
    expect(answer.status).toBe(recorded.badQuery.httpStatus);
    expect(answer.contentType).toBe(recorded.badQuery.contentType);
    expect(shape(answer.body)).toEqual(shape(recorded.badQuery.body));
  });
});
