import { Writable } from 'node:stream';
import { loadConfig, type AppConfig } from '../../app/config.js';
import type { EmbeddingProvider } from '../../app/embeddings/provider.js';
import { createLogger, type Logger } from '../../app/observability/logger.js';
import { contentHash, embeddingText } from '../../app/quotes/quote-text.js';
import type { QuoteRepository } from '../../app/quotes/repository.js';
import type { FixtureQuote } from '../helpers/quotes-fixture.js';

/** A config for a test service: loopback, any free port, quiet logs, plus overrides. */
export function testConfig(databaseUrl: string, env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({ DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
}

/**
 * Stores quotes the way POST /quotes does (repository + embedder), so tests do not depend
 * on the seeder. Returns the stored id for each input, in order.
 */
export async function insertQuotes(
  repository: QuoteRepository,
  embedder: EmbeddingProvider,
  quotes: Pick<FixtureQuote, 'quote' | 'author'>[],
): Promise<number[]> {
  const { vectors } = await embedder.embed(quotes.map((q) => embeddingText(q.quote, q.author)));
  const ids: number[] = [];
  for (const [i, q] of quotes.entries()) {
    const { quote } = await repository.insert({
      quote: q.quote,
      author: q.author,
      contentHash: contentHash(q.quote, q.author),
      embedding: vectors[i]!,
      embeddingModel: embedder.model,
    });
    ids.push(quote.id);
  }
  return ids;
}

/** A JSON logger whose lines the test can read. */
export function capturingLogger(level: 'warn' | 'info' | 'debug' = 'info'): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return {
    log: createLogger(level, sink),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the test will say so
  }
  return { status: response.status, body, headers: response.headers };
}

/** Polls `check` every 50 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
