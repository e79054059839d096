import type pg from 'pg';
import { toVectorBinary } from './vector-literal.js';

export interface EmbeddedQuote {
  quote: string;
  author: string;
  hash: string;
  vector: number[];
}

export interface WriteResult {
  /** Rows that did not exist. */
  inserted: number;
  /** Rows that existed without an embedding (a killed run of an older seeder, POST /quotes while the embedder was down). */
  filled: number;
}

// Keeps each statement a few MB of text even with 2048-input batches of dense vectors.
const ROWS_PER_STATEMENT = 256;

/*
 * Quote, hash and vector go in together: a row is never stored without its embedding, so a
 * run killed at any instant leaves only complete rows (or none) for this batch. Existing
 * hashes are left alone unless their embedding is missing, which this fills.
 * $1 is the model; each row adds (quote, author, hash, vector as binary).
 */
function upsertSql(rows: number): string {
  const values: string[] = [];
  for (let i = 0; i < rows; i++) {
    const p = 2 + i * 4;
    values.push(`($${p}, $${p + 1}, $${p + 2}, $${p + 3}::vector, $1)`);
  }
  return `INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model)
VALUES ${values.join(', ')}
ON CONFLICT (content_hash) DO UPDATE
  SET embedding = EXCLUDED.embedding, embedding_model = EXCLUDED.embedding_model
  WHERE quotes.embedding IS NULL
RETURNING (xmax = 0) AS inserted`;
}

/**
 * Writes embedded batches one at a time on a single connection, each batch in one
 * transaction. Serial on purpose: the database (and embedded PGlite's single backend)
 * gains nothing from parallel bulk inserts, while embedding requests do run in parallel.
 */
export class QuoteWriter {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly client: pg.PoolClient) {}

  static async open(pool: pg.Pool): Promise<QuoteWriter> {
    return new QuoteWriter(await pool.connect());
  }

  write(rows: EmbeddedQuote[], model: string): Promise<WriteResult> {
    const next = this.queue.then(() => this.writeNow(rows, model));
    this.queue = next.catch(() => undefined);
    return next;
  }

  release(): void {
    this.client.release();
  }

  private async writeNow(rows: EmbeddedQuote[], model: string): Promise<WriteResult> {
    const result: WriteResult = { inserted: 0, filled: 0 };
    if (rows.length === 0) return result;
    const multi = rows.length > ROWS_PER_STATEMENT;
    if (multi) await this.client.query('BEGIN');
    try {
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
        const params: unknown[] = [model];
        for (const r of chunk) params.push(r.quote, r.author, r.hash, toVectorBinary(r.vector));
        const { rows: returned } = await this.client.query<{ inserted: boolean }>(upsertSql(chunk.length), params);
        for (const row of returned) {
          if (row.inserted) result.inserted++;
          else result.filled++;
        }
      }
      if (multi) await this.client.query('COMMIT');
    } catch (error) {
      if (multi) await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return result;
  }
}
