import type pg from 'pg';
import { toVectorLiteral } from '../db/pool.js';
import { normalizeText } from './quote-text.js';

export interface Quote {
  id: number;
  quote: string;
  author: string;
}

export interface ScoredQuote extends Quote {
  /** Cosine similarity, 1 = same direction. */
  score: number;
}

export interface AuthorCount {
  name: string;
  count: number;
}

export interface NewQuote {
  quote: string;
  author: string;
  contentHash: string;
  embedding: number[];
  embeddingModel: string;
}

// Thresholds for fuzzy author matching (pg_trgm). word_similarity compares the typed name
// with the closest stretch of the stored one, so "einstien" finds "Albert Einstein".
const WORD_SIMILARITY_MIN = 0.45;
const SIMILARITY_MIN = 0.3;
// Near-miss matches within this distance of the best are returned together.
const FUZZY_TIE_MARGIN = 0.05;

/** All SQL for quotes lives here; every value is a bound parameter. */
export class QuoteRepository {
  constructor(private readonly pool: pg.Pool) {}

  async getById(id: number): Promise<Quote | undefined> {
    const { rows } = await this.pool.query<Quote>('SELECT id::float8 AS id, quote, author FROM quotes WHERE id = $1', [id]);
    return rows[0];
  }

  /** Keyset page ordered by id: stable under inserts, no OFFSET scans. */
  async list(options: { limit: number; afterId?: number; authors?: string[] }): Promise<Quote[]> {
    const params: unknown[] = [options.limit, options.afterId ?? 0];
    let filter = '';
    if (options.authors) {
      params.push(options.authors.map((a) => a.toLowerCase()));
      filter = 'AND lower(author) = ANY($3::text[])';
    }
    const { rows } = await this.pool.query<Quote>(
      `SELECT id::float8 AS id, quote, author FROM quotes WHERE id > $2 ${filter} ORDER BY id LIMIT $1`,
      params,
    );
    return rows;
  }

  async authors(): Promise<AuthorCount[]> {
    const { rows } = await this.pool.query<AuthorCount>(
      'SELECT author AS name, count(*)::int AS count FROM quotes GROUP BY author ORDER BY count(*) DESC, author',
    );
    return rows;
  }

  /**
   * The stored author names a typed name means: the exact name (any case) if there is one;
   * otherwise every author whose name contains it ("einstein"); otherwise the closest
   * near-misses by trigram similarity ("Albert Einstien"). Empty when nothing is close.
   */
  async resolveAuthors(typed: string): Promise<string[]> {
    const needle = normalizeText(typed);
    const { rows } = await this.pool.query<{ author: string; exact: boolean; contains: boolean; score: number }>(
      `SELECT author, la = $1 AS exact, strpos(la, $1) > 0 AS contains,
              greatest(word_similarity($1, la), similarity($1, la))::float8 AS score
         FROM (SELECT DISTINCT author, lower(author) AS la FROM quotes) authors
        WHERE la = $1 OR strpos(la, $1) > 0 OR word_similarity($1, la) >= $2 OR similarity($1, la) >= $3
        ORDER BY exact DESC, contains DESC, score DESC, author
        LIMIT 100`,
      [needle, WORD_SIMILARITY_MIN, SIMILARITY_MIN],
    );
    if (!rows.length) return [];
    const exact = rows.filter((r) => r.exact);
    if (exact.length) return exact.map((r) => r.author);
    const containing = rows.filter((r) => r.contains);
    if (containing.length) return containing.map((r) => r.author);
    const best = rows[0]!.score;
    return rows.filter((r) => r.score >= best - FUZZY_TIE_MARGIN).map((r) => r.author);
  }

  async findByHash(contentHash: string): Promise<Quote | undefined> {
    const { rows } = await this.pool.query<Quote>('SELECT id::float8 AS id, quote, author FROM quotes WHERE content_hash = $1', [contentHash]);
    return rows[0];
  }

  /** Inserts unless the content hash exists; then returns the stored quote. Safe under races. */
  async insert(quote: NewQuote): Promise<{ quote: Quote; created: boolean }> {
    const { rows } = await this.pool.query<Quote>(
      `INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model)
       VALUES ($1, $2, $3, $4::vector, $5)
       ON CONFLICT (content_hash) DO NOTHING
       RETURNING id::float8 AS id, quote, author`,
      [quote.quote, quote.author, quote.contentHash, toVectorLiteral(quote.embedding), quote.embeddingModel],
    );
    if (rows[0]) return { quote: rows[0], created: true };
    const existing = await this.findByHash(quote.contentHash);
    if (!existing) throw new Error('quote insert conflicted but no row holds its content hash');
    return { quote: existing, created: false };
  }

  /**
   * Nearest quotes by cosine distance among vectors of `model` only. Unfiltered searches use
   * the vector index (approximate). With an author filter the candidates are that author's
   * rows, ranked exactly: an approximate index scan filtered afterwards could return fewer
   * rows than asked for, or none, when the author's quotes are not among its first candidates.
   */
  async search(options: { vector: number[]; model: string; limit: number; authors?: string[] }): Promise<ScoredQuote[]> {
    const vector = toVectorLiteral(options.vector);
    if (options.authors) {
      const { rows } = await this.pool.query<ScoredQuote>(
        `WITH candidates AS MATERIALIZED (
           SELECT id, quote, author, embedding <=> $1::vector AS distance
             FROM quotes
            WHERE lower(author) = ANY($4::text[]) AND embedding IS NOT NULL AND embedding_model = $2
         )
         SELECT id::float8 AS id, quote, author, (1 - distance)::float8 AS score
           FROM candidates ORDER BY distance, id LIMIT $3`,
        [vector, options.model, options.limit, options.authors.map((a) => a.toLowerCase())],
      );
      return rows;
    }
    const { rows } = await this.pool.query<ScoredQuote>(
      `SELECT id::float8 AS id, quote, author, (1 - (embedding <=> $1::vector))::float8 AS score
         FROM quotes
        WHERE embedding IS NOT NULL AND embedding_model = $2
        ORDER BY embedding <=> $1::vector
        LIMIT $3`,
      [vector, options.model, options.limit],
    );
    return rows;
  }

  /** How many stored vectors each model made (for the model-mismatch check). */
  async embeddingModels(): Promise<{ model: string; count: number }[]> {
    const { rows } = await this.pool.query<{ model: string; count: number }>(
      'SELECT embedding_model AS model, count(*)::int AS count FROM quotes WHERE embedding IS NOT NULL GROUP BY embedding_model',
    );
    return rows;
  }
}
