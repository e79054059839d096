import type pg from 'pg';
import { EMBEDDING_DIMENSIONS } from '../embeddings/provider.js';
import { DEFAULT_SEARCH_EFFORT, nearestSql } from '../quotes/repository.js';
import { describeDataDamage, isDataDamage, type DataDamage } from './data-damage.js';

/** A probe answer is reused this long: readiness probes stay one cheap query every few seconds. */
export const DATA_PROBE_TTL_MS = 5_000;

/** What a re-seed or a restore is, for a deployment (qctl dev says it its own way). */
export const DEFAULT_REBUILD_HINT = 'restore the database from a backup, or re-seed it (qctl seed) after recreating the table';

// A unit vector: any vector reaches the index; the probe only needs the search to run.
const PROBE_VECTOR = `[1${',0'.repeat(EMBEDDING_DIMENSIONS - 1)}]`;

/**
 * Reads what the API serves, the way it serves it: the search statement itself with LIMIT 1
 * (the vector index, then the heap and the TOAST values of the rows it finds) and the newest
 * quote by id (the primary key, the last heap page and its TOAST values). A file Postgres
 * cannot read fails here as it would fail every search, so readiness says so instead of 200.
 */
export class QuoteDataProbe {
  private cached?: { at: number; result: Promise<DataDamage | undefined> };

  constructor(
    private readonly pool: pg.Pool,
    private readonly model: string,
    private readonly rebuildHint = DEFAULT_REBUILD_HINT,
    private readonly ttlMs = DATA_PROBE_TTL_MS,
  ) {}

  /** The damage found, or undefined when the data reads; errors that are not damage are thrown. */
  check(): Promise<DataDamage | undefined> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.result;
    const result = this.run();
    this.cached = { at: now, result };
    // A failure that is not damage (a dropped connection) is asked again next time.
    result.catch(() => {
      if (this.cached?.result === result) this.cached = undefined;
    });
    return result;
  }

  private async run(): Promise<DataDamage | undefined> {
    try {
      await this.pool.query(
        `${nearestSql(DEFAULT_SEARCH_EFFORT, PROBE_VECTOR, this.model, 1)};
         SELECT id, length(quote) + length(author) AS chars, vector_dims(embedding) AS dims FROM quotes ORDER BY id DESC LIMIT 1`,
      );
      return undefined;
    } catch (error) {
      if (!isDataDamage(error)) throw error;
      return describeDataDamage(this.pool, error, this.rebuildHint);
    }
  }
}
