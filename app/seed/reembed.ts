import type pg from 'pg';
import { takeMigrationLockForTransaction, withIndexLock } from '../db/migrate.js';
import { buildSettingsSql, ensureVectorIndex, indexDefinition, VECTOR_INDEX_NAME, type VectorIndexSettings } from '../db/vector-index.js';
import type { EmbeddingProvider } from '../embeddings/provider.js';
import { SeedError } from './errors.js';
import { TaskLimiter } from './limiter.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, embedBatch, validateTuning } from './seeder.js';
import { toVectorBinary } from './vector-literal.js';

/** New vectors wait here, off the search path, until all of them exist. */
export const REEMBED_STAGING_TABLE = 'quotes_reembed_staging';

export interface ReembedProgress {
  phase: 'embedding' | 'swapping' | 'done';
  total: number;
  embedded: number;
}

export interface ReembedSummary {
  model: string;
  /** Quotes whose vectors were (re)computed by this run. */
  reembedded: number;
  /** Vectors computed by an earlier, interrupted run for the same model and reused. */
  resumed: number;
  /** Rows switched to the new vectors in the final transaction. */
  swapped: number;
  embeddingRequests: number;
  tokens: number;
  elapsedMs: number;
}

export interface ReembedOptions {
  pool: pg.Pool;
  provider: EmbeddingProvider;
  batchSize?: number;
  concurrency?: number;
  vectorIndex?: VectorIndexSettings;
  onProgress?: (progress: ReembedProgress) => void;
  signal?: AbortSignal;
}

// Swapping retries this often when quotes keep arriving (POST /quotes) during the final check.
const MAX_SWAP_ATTEMPTS = 5;
// Up to this many rows the swap rebuilds the vector index inside its transaction (seconds;
// updating an HNSW index row by row is several times slower). Above it the index is updated
// in place, which on a real server keeps readers unblocked on their snapshot throughout.
const REBUILD_INDEX_MAX_ROWS = 50_000;

/**
 * Recomputes every embedding with `provider` without a moment where search compares
 * vectors of two models or finds a quote without one: new vectors are computed into a
 * staging table while the live column keeps serving, then one transaction swaps vector
 * and model for every row at once. Killed midway, the staging table keeps what was
 * computed and the next run only embeds the rest.
 */
export async function reembedQuotes(options: ReembedOptions): Promise<ReembedSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  validateTuning(batchSize, concurrency);
  const { pool, provider } = options;
  const summary: ReembedSummary = {
    model: provider.model,
    reembedded: 0,
    resumed: 0,
    swapped: 0,
    embeddingRequests: 0,
    tokens: 0,
    elapsedMs: 0,
  };

  await pool.query(`CREATE TABLE IF NOT EXISTS ${REEMBED_STAGING_TABLE} (
    id           bigint PRIMARY KEY,
    content_hash text NOT NULL,
    model        text NOT NULL,
    embedding    vector(1536) NOT NULL
  )`);
  // Vectors left by an interrupted re-embed towards another model are of no use now.
  await pool.query(`DELETE FROM ${REEMBED_STAGING_TABLE} WHERE model <> $1`, [provider.model]);
  const { rows: counts } = await pool.query<{ total: string; staged: string }>(
    `SELECT (SELECT count(*) FROM quotes) AS total,
            (SELECT count(*) FROM ${REEMBED_STAGING_TABLE} s JOIN quotes q ON q.id = s.id AND q.content_hash = s.content_hash) AS staged`,
  );
  const progress: ReembedProgress = { phase: 'embedding', total: Number(counts[0]!.total), embedded: Number(counts[0]!.staged) };
  summary.resumed = progress.embedded;
  const report = (): void => options.onProgress?.({ ...progress });
  report();

  for (let attempt = 1; ; attempt++) {
    await stageMissing(options, batchSize, concurrency, summary, progress, report);
    progress.phase = 'swapping';
    report();
    const swapped = await swap(pool, options.vectorIndex ?? { kind: 'hnsw' }, progress.total <= REBUILD_INDEX_MAX_ROWS);
    if (swapped !== undefined) {
      summary.swapped = swapped;
      break;
    }
    if (attempt >= MAX_SWAP_ATTEMPTS) {
      throw new SeedError(`quotes kept arriving while re-embedding; run qctl seed --reembed again when writes are quieter`, 'failed');
    }
    progress.phase = 'embedding';
  }
  await withIndexLock(pool, (client) => ensureVectorIndex(client, options.vectorIndex ?? { kind: 'hnsw' }));
  summary.elapsedMs = Math.round(performance.now() - started);
  progress.phase = 'done';
  report();
  return summary;
}

/** Embeds, into staging, every quote that has no staged vector for its current text. */
async function stageMissing(
  options: ReembedOptions,
  batchSize: number,
  concurrency: number,
  summary: ReembedSummary,
  progress: ReembedProgress,
  report: () => void,
): Promise<void> {
  const { pool, provider } = options;
  const limiter = new TaskLimiter(concurrency);
  let afterId = '0';
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const { rows } = await pool.query<{ id: string; quote: string; author: string; content_hash: string }>(
        `SELECT q.id, q.quote, q.author, q.content_hash FROM quotes q
         LEFT JOIN ${REEMBED_STAGING_TABLE} s ON s.id = q.id AND s.content_hash = q.content_hash
         WHERE s.id IS NULL AND q.id > $1 ORDER BY q.id LIMIT $2`,
        [afterId, batchSize],
      );
      if (rows.length === 0) break;
      afterId = rows[rows.length - 1]!.id;
      await limiter.run(async () => {
        const vectors = await embedBatch(
          provider,
          rows,
          summary,
          options.signal,
          (reason) =>
            `re-embedding a batch of ${rows.length} quotes with ${provider.model} failed: ${reason}. ` +
            'Search still uses the previous vectors; run qctl seed --reembed again to continue',
        );
        // One statement: staged rows of a batch appear together or not at all.
        const params: unknown[] = [provider.model];
        const values = rows.map((r, i) => {
          params.push(r.id, r.content_hash, toVectorBinary(vectors[i]!));
          const p = params.length - 2;
          return `($${p}::bigint, $${p + 1}, $1, $${p + 2}::vector)`;
        });
        await pool.query(
          `INSERT INTO ${REEMBED_STAGING_TABLE} (id, content_hash, model, embedding) VALUES ${values.join(', ')}
           ON CONFLICT (id) DO UPDATE SET content_hash = EXCLUDED.content_hash, model = EXCLUDED.model, embedding = EXCLUDED.embedding`,
          params,
        );
        summary.reembedded += rows.length;
        progress.embedded += rows.length;
        report();
      });
    }
    await limiter.idle();
  } finally {
    await limiter.idle().catch(() => undefined);
  }
}

/**
 * The atomic switch. Writers are held off (SHARE ROW EXCLUSIVE blocks INSERT/UPDATE) so no
 * quote can arrive unstaged between the check and the update; if one did arrive before the
 * lock, the caller stages it and tries again (returns undefined then). When the index is
 * rebuilt here, searches wait for the commit (seconds) rather than ever seeing a mix.
 */
async function swap(pool: pg.Pool, index: VectorIndexSettings, rebuildIndex: boolean): Promise<number | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Not while a migrate or seed builds the index (released at COMMIT). Taken before the
    // table lock, in the order they take them, so the two can never deadlock.
    if (rebuildIndex) await takeMigrationLockForTransaction(client);
    await client.query('LOCK TABLE quotes IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await client.query<{ missing: string }>(
      `SELECT count(*) AS missing FROM quotes q
       LEFT JOIN ${REEMBED_STAGING_TABLE} s ON s.id = q.id AND s.content_hash = q.content_hash
       WHERE s.id IS NULL`,
    );
    if (Number(rows[0]!.missing) > 0) {
      await client.query('ROLLBACK');
      return undefined;
    }
    if (rebuildIndex) {
      if (index.build) await client.query(buildSettingsSql(index.build, 'SET LOCAL'));
      await client.query(`DROP INDEX IF EXISTS ${VECTOR_INDEX_NAME}`);
    }
    const updated = await client.query(
      `UPDATE quotes q SET embedding = s.embedding, embedding_model = s.model
       FROM ${REEMBED_STAGING_TABLE} s WHERE s.id = q.id AND s.content_hash = q.content_hash`,
    );
    if (rebuildIndex) await client.query(indexDefinition(index));
    await client.query(`DROP TABLE ${REEMBED_STAGING_TABLE}`);
    await client.query('COMMIT');
    return updated.rowCount ?? 0;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
