import { SeedError } from './errors.js';
import { backoffDelay, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry.js';
import type { SourcePage } from './sources.js';

export const DUMMYJSON_BASE_URL = 'https://dummyjson.com';

export interface DummyJsonOptions {
  /** Base URL of the API; the pager requests `<base>/quotes?limit=&skip=`. */
  baseUrl?: string;
  /** Quotes per page. */
  pageSize?: number;
  /** Further attempts per page after the first fails (network error, 408, 429, 5xx). */
  maxRetries?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** First backoff step; doubled per attempt. */
  backoffMs?: number;
  signal?: AbortSignal;
  /** How the reader of an error chooses a file source instead (default `--source file:PATH`). */
  fileSource?: string;
}

interface QuotesPage {
  quotes: unknown[];
  total: number;
  skip: number;
  limit: number;
}

/**
 * Pages the DummyJSON quotes API with limit/skip until `total` is reached. Each page is
 * retried with backoff (honoring Retry-After); a page that keeps failing ends the run with
 * a SeedError naming the URL and the last problem.
 */
export async function* dummyJsonPages(options: DummyJsonOptions = {}): AsyncGenerator<SourcePage> {
  const base = (options.baseUrl ?? DUMMYJSON_BASE_URL).replace(/\/+$/, '');
  const pageSize = options.pageSize ?? 100;
  let skip = 0;
  for (;;) {
    const url = `${base}/quotes?limit=${pageSize}&skip=${skip}`;
    const page = await fetchPage(url, options);
    yield { records: page.quotes, total: page.total };
    skip += page.quotes.length;
    // An empty page before `total` means the API shrank under us; stop rather than loop.
    if (page.quotes.length === 0 || skip >= page.total) return;
  }
}

async function fetchPage(url: string, options: DummyJsonOptions): Promise<QuotesPage> {
  const maxRetries = options.maxRetries ?? 4;
  let lastProblem = '';
  // A status that is not worth retrying stops early: the message counts what was really tried.
  let attempts = 0;
  for (let attempt = 0; attempt <= maxRetries; attempt++) {
    attempts++;
    let waitMs: number | undefined;
    try {
      const signals = [AbortSignal.timeout(options.timeoutMs ?? 15_000)];
      if (options.signal) signals.push(options.signal);
      const response = await fetch(url, { signal: AbortSignal.any(signals), headers: { accept: 'application/json' } });
      if (response.ok) return parsePage(await response.json(), url);
      const body = (await response.text().catch(() => '')).slice(0, 200);
      lastProblem = `HTTP ${response.status}${body ? ` ${body}` : ''}`;
      if (!isRetryableStatus(response.status)) break;
      waitMs = parseRetryAfter(response.headers.get('retry-after'));
      if (waitMs !== undefined && waitMs > MAX_RETRY_AFTER_MS) {
        lastProblem += `; its Retry-After of ${Math.ceil(waitMs / 1000)} s is over the ${MAX_RETRY_AFTER_MS / 1000} s we wait`;
        break;
      }
    } catch (error) {
      if (error instanceof SeedError) throw error;
      if (options.signal?.aborted) throw error;
      lastProblem = describeFetchError(error);
    }
    if (attempt < maxRetries) await sleep(waitMs ?? backoffDelay(attempt, options.backoffMs ?? 500), options.signal);
  }
  throw new SeedError(
    `cannot fetch quotes from ${url} (${lastProblem}) after ${attempts} attempt${attempts === 1 ? '' : 's'}: check the network, or seed from a file with ${options.fileSource ?? '--source file:PATH'}`,
  );
}

function parsePage(body: unknown, url: string): QuotesPage {
  const page = body as Partial<QuotesPage> | null;
  if (!page || !Array.isArray(page.quotes) || typeof page.total !== 'number') {
    throw new SeedError(`unexpected answer from ${url}: expected {quotes: [...], total, skip, limit}`, 'failed');
  }
  return page as QuotesPage;
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return cause.code;
    if (cause?.message) return cause.message;
    return error.message;
  }
  return String(error);
}
