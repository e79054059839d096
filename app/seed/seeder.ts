import type pg from 'pg';
import { withIndexLock } from '../db/migrate.js';
import { dropVectorIndex, ensureVectorIndex, type VectorIndexSettings } from '../db/vector-index.js';
import type { EmbeddingProvider } from '../embeddings/provider.js';
import { embeddingText } from '../quotes/quote-text.js';
import { SeedError } from './errors.js';
import { TaskLimiter } from './limiter.js';
import { checkRecord, type InvalidRecord, type SeedQuote } from './records.js';
import type { SourcePage } from './sources.js';
import { QuoteWriter } from './writer.js';

/** The OpenAI embeddings API accepts at most this many inputs per request. */
export const MAX_BATCH_SIZE = 2048;
export const DEFAULT_BATCH_SIZE = 256;
export const DEFAULT_CONCURRENCY = 4;

export interface SeedProgress {
  phase: 'loading' | 'filling' | 'indexing' | 'done';
  /** Records read from the source so far, and the source's total when it says. */
  fetched: number;
  total?: number;
  embedded: number;
  /** Rows written (new + filled). */
  inserted: number;
  skipped: number;
  invalid: number;
}

export interface SeedSummary {
  source: string;
  model: string;
  fetched: number;
  /** Quotes inserted by this run. */
  new: number;
  /** Stored quotes that had no embedding and got one. */
  filled: number;
  /** Duplicates: repeated within the source, or already stored with an embedding. */
  skipped: number;
  invalid: number;
  /** Every rejected record, by its 0-based position in the source. */
  invalidRecords: InvalidRecord[];
  embeddingRequests: number;
  /** From the embeddings API's usage field (words for the local embedder). */
  tokens: number;
  vectorIndex: 'created' | 'rebuilt' | 'unchanged';
  /** Part of elapsedMs spent building the vector index (0 when it was unchanged). */
  indexElapsedMs: number;
  elapsedMs: number;
}

export interface SeedOptions {
  pool: pg.Pool;
  source: AsyncIterable<SourcePage>;
  /** Names the source in the summary, e.g. "file quotes.json". */
  sourceName: string;
  provider: EmbeddingProvider;
  /** Inputs per embedding request (1..2048). */
  batchSize?: number;
  /** Embedding requests in flight at once. */
  concurrency?: number;
  vectorIndex?: VectorIndexSettings;
  onProgress?: (progress: SeedProgress) => void;
  signal?: AbortSignal;
}

// Existence checks go to the database in chunks this size (one round trip each).
const LOOKUP_CHUNK = 1000;
// Above this many stored rows the vector index is never dropped for a load.
const INDEX_DROP_MAX_ROWS = 100_000;

/**
 * Loads quotes idempotently: each record is keyed by its content hash, stored quotes are
 * skipped before anything is embedded (a re-run makes zero embedding requests), and every
 * batch stores quotes together with their vectors in one transaction, so a run killed at
 * any point leaves nothing half-written and the next run picks up where it stopped.
 * Rows found without an embedding are embedded too.
 */
export async function seedQuotes(options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  validateTuning(batchSize, concurrency);
  const { pool, provider } = options;
  const indexSettings = options.vectorIndex ?? { kind: 'hnsw' };

  const summary: SeedSummary = {
    source: options.sourceName,
    model: provider.model,
    fetched: 0,
    new: 0,
    filled: 0,
    skipped: 0,
    invalid: 0,
    invalidRecords: [],
    embeddingRequests: 0,
    tokens: 0,
    vectorIndex: 'unchanged',
    indexElapsedMs: 0,
    elapsedMs: 0,
  };
  const progress: SeedProgress = { phase: 'loading', fetched: 0, embedded: 0, inserted: 0, skipped: 0, invalid: 0 };
  const report = (): void => {
    progress.fetched = summary.fetched;
    progress.skipped = summary.skipped;
    progress.invalid = summary.invalid;
    progress.inserted = summary.new + summary.filled;
    options.onProgress?.({ ...progress });
  };

  await assertSameModel(pool, provider.model);

  // Inserting into an HNSW index row by row is ~10x slower than building it once afterwards,
  // so when more rows are about to arrive than the table holds (an empty table, a dev
  // database with the small sample), the index goes and is rebuilt at the end. Search stays
  // correct meanwhile (exact scan); a large table taking a few new quotes keeps its index.
  const { rows: sizeRows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM quotes LIMIT ${INDEX_DROP_MAX_ROWS}) t`,
  );
  const storedRows = Number(sizeRows[0]!.n);
  let indexDecided = false;
  let indexDropped = false;
  const decideIndex = async (arriving: number): Promise<void> => {
    if (indexDecided) return;
    indexDecided = true;
    if (storedRows < INDEX_DROP_MAX_ROWS && arriving > storedRows) {
      // Under the migration lock: never while another process builds the index.
      await withIndexLock(pool, (client) => dropVectorIndex(client));
      indexDropped = true;
    }
  };

  const writer = await QuoteWriter.open(pool);
  const limiter = new TaskLimiter(concurrency);
  const pending: SeedQuote[] = [];

  const dispatch = async (batch: SeedQuote[]): Promise<void> => {
    await limiter.run(async () => {
      // Ctrl-C stops between batches: what is stored stays, nothing new starts.
      options.signal?.throwIfAborted();
      const vectors = await embedBatch(
        provider,
        batch,
        summary,
        options.signal,
        (reason) =>
          `embedding a batch of ${batch.length} quotes with ${provider.model} failed: ${reason}. ` +
          'Quotes stored so far are kept; run the seed again to continue',
      );
      progress.embedded += batch.length;
      const written = await writer.write(
        batch.map((q, i) => ({ quote: q.quote, author: q.author, hash: q.hash, vector: vectors[i]! })),
        provider.model,
      );
      summary.new += written.inserted;
      summary.filled += written.filled;
      // Stored by someone else (a concurrent seed, POST /quotes) between our check and our write.
      summary.skipped += batch.length - written.inserted - written.filled;
      report();
    });
  };
  const drain = async (all: boolean): Promise<void> => {
    if (pending.length >= batchSize || (all && pending.length > 0)) await decideIndex(pending.length);
    while (pending.length >= batchSize || (all && pending.length > 0)) {
      await dispatch(pending.splice(0, batchSize));
    }
  };

  try {
    const seen = new Set<string>();
    for await (const page of options.source) {
      options.signal?.throwIfAborted();
      if (page.total !== undefined) progress.total = page.total;
      const candidates: SeedQuote[] = [];
      for (const raw of page.records) {
        const check = checkRecord(raw, summary.fetched);
        summary.fetched++;
        if (!check.ok) {
          summary.invalid++;
          summary.invalidRecords.push(check.invalid);
        } else if (seen.has(check.quote.hash)) {
          summary.skipped++;
        } else {
          seen.add(check.quote.hash);
          candidates.push(check.quote);
        }
      }
      for (let start = 0; start < candidates.length; start += LOOKUP_CHUNK) {
        const chunk = candidates.slice(start, start + LOOKUP_CHUNK);
        const stored = await storedEmbeddingState(
          pool,
          chunk.map((q) => q.hash),
        );
        for (const quote of chunk) {
          if (stored.get(quote.hash) === 'embedded') summary.skipped++;
          else pending.push(quote);
        }
      }
      report();
      await drain(false);
    }
    await drain(true);
    await limiter.idle();

    // Rows stored without an embedding that the source did not mention.
    progress.phase = 'filling';
    for (;;) {
      const { rows } = await pool.query<{ quote: string; author: string; content_hash: string }>(
        'SELECT quote, author, content_hash FROM quotes WHERE embedding IS NULL ORDER BY id LIMIT $1',
        [batchSize * concurrency],
      );
      if (rows.length === 0) break;
      const before = summary.filled + summary.new;
      for (const row of rows) pending.push({ index: -1, quote: row.quote, author: row.author, hash: row.content_hash });
      await drain(true);
      await limiter.idle();
      if (summary.filled + summary.new === before) break; // nothing changed: do not spin
    }
  } catch (error) {
    // A failed run (source or embeddings gave up) should not leave search without its index;
    // best effort, since the database itself may be what failed.
    if (indexDropped) {
      await limiter.idle().catch(() => undefined);
      await withIndexLock(pool, (client) => ensureVectorIndex(client, indexSettings)).catch(() => undefined);
    }
    throw error;
  } finally {
    // Let in-flight batches settle before the connection goes back, even on failure.
    await limiter.idle().catch(() => undefined);
    writer.release();
  }

  const index = await withIndexLock(pool, (client) =>
    ensureVectorIndex(client, indexSettings, () => {
      progress.phase = 'indexing';
      report();
    }),
  );
  summary.vectorIndex = index.action;
  summary.indexElapsedMs = index.buildMs;
  summary.elapsedMs = Math.round(performance.now() - started);
  progress.phase = 'done';
  report();
  return summary;
}

/**
 * Vectors of two models in one table make the API refuse every search (it never compares
 * across models), so a seed with another model than the stored one stops before it starts.
 */
async function assertSameModel(pool: pg.Pool, model: string): Promise<void> {
  const { rows } = await pool.query<{ model: string | null; n: string }>(
    `SELECT embedding_model AS model, count(*) AS n FROM quotes
     WHERE embedding IS NOT NULL AND embedding_model IS DISTINCT FROM $1 GROUP BY embedding_model`,
    [model],
  );
  if (rows.length === 0) return;
  const stored = rows.map((r) => `${r.n} with ${r.model ?? '(unknown)'}`).join(', ');
  throw new SeedError(
    `the database holds quotes embedded by another model (${stored}) but this seed embeds with ${model}: ` +
      'run qctl seed --reembed first to move them to it, or set EMBEDDING_MODEL / OPENAI_API_KEY to match',
  );
}

async function storedEmbeddingState(pool: pg.Pool, hashes: string[]): Promise<Map<string, 'embedded' | 'missing'>> {
  const { rows } = await pool.query<{ content_hash: string; embedded: boolean }>(
    'SELECT content_hash, embedding IS NOT NULL AS embedded FROM quotes WHERE content_hash = ANY($1::text[])',
    [hashes],
  );
  return new Map(rows.map((r) => [r.content_hash, r.embedded ? 'embedded' : 'missing']));
}

export function validateTuning(batchSize: number, concurrency: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new SeedError(`batch size ${batchSize} is out of range: use 1..${MAX_BATCH_SIZE} (the embeddings API's limit per request)`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new SeedError(`concurrency ${concurrency} is out of range: use 1..64`);
  }
}

/**
 * Embeds one batch of quotes and adds the requests and tokens it cost to `usage`. A provider
 * that fails (after its own retries) or answers the wrong number of vectors ends the run
 * with a 'failed' SeedError; `failure` words the first from the provider's reason.
 */
export async function embedBatch(
  provider: EmbeddingProvider,
  quotes: readonly { quote: string; author: string }[],
  usage: { embeddingRequests: number; tokens: number },
  signal: AbortSignal | undefined,
  failure: (reason: string) => string,
): Promise<number[][]> {
  let result;
  try {
    result = await provider.embed(
      quotes.map((q) => embeddingText(q.quote, q.author)),
      { signal },
    );
  } catch (error) {
    throw new SeedError(failure(error instanceof Error ? error.message : String(error)), 'failed', { cause: error });
  }
  usage.embeddingRequests += result.requests;
  usage.tokens += result.tokens;
  if (result.vectors.length !== quotes.length) {
    throw new SeedError(`the embeddings service returned ${result.vectors.length} vectors for ${quotes.length} inputs`, 'failed');
  }
  return result.vectors;
}
