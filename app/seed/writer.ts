import type pg from 'pg';
import { toVectorLiteral } from './vector-literal.js';

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
 */
const UPSERT_SQL = `
INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model)
SELECT t.quote, t.author, t.hash, t.embedding::vector, $5
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(quote, author, hash, embedding)
ON CONFLICT (content_hash) DO UPDATE
  SET embedding = EXCLUDED.embedding, embedding_model = EXCLUDED.embedding_model
  WHERE quotes.embedding IS NULL
RETURNING (xmax = 0) AS inserted`;

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
        const { rows: returned } = await this.client.query<{ inserted: boolean }>(UPSERT_SQL, [
          chunk.map((r) => r.quote),
          chunk.map((r) => r.author),
          chunk.map((r) => r.hash),
          chunk.map((r) => toVectorLiteral(r.vector)),
          model,
        ]);
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
