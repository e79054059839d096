import pg from 'pg';
import { DEFAULT_SEARCH_EF_SEARCH, DEFAULT_SEARCH_PROBES } from '../config.js';
import { toSparseLiteral, toVectorLiteral } from '../db/pool.js';
import { SMALL_TABLE_ROWS, SPARSE_EMBEDDING, SPARSE_INDEX_NAME, SPARSE_TYPE } from '../db/vector-index.js';
import { LOCAL_EMBEDDING_MODEL } from '../embeddings/local.js';
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

/** What a search's plan depends on: the table's size and whether the sparse index exists. */
interface TableShape {
  rows: number;
  sparseIndex: boolean;
}

/** How hard an approximate index scan looks: more finds more of the true nearest, slower. */
export interface SearchEffort {
  /**
   * hnsw.ef_search: candidates an HNSW scan keeps (pgvector's default 40); 'auto' chooses it
   * by the table's size (efSearchForRows).
   */
  efSearch: number | 'auto';
  /** ivfflat.probes: lists an IVFFlat scan visits (pgvector's default 1). */
  probes: number;
}

export const DEFAULT_SEARCH_EFFORT: SearchEffort = { efSearch: 'auto', probes: DEFAULT_SEARCH_PROBES };

/**
 * ef_search for tables up to SMALL_TABLE_ROWS: nearly all of the true nearest are found
 * (0.96 at the shipped 1,423 quotes), and each candidate more costs a 1536-dimension distance
 * in single-threaded WebAssembly on the embedded database (docs/app.md, "Search effort").
 */
export const SMALL_TABLE_EF_SEARCH = 40;

/** The ef_search 'auto' means for a table of `rows` rows. */
export function efSearchForRows(rows: number): number {
  return rows <= SMALL_TABLE_ROWS ? SMALL_TABLE_EF_SEARCH : DEFAULT_SEARCH_EF_SEARCH;
}

// How long a table-size estimate is trusted before it is read again.
const SIZE_TTL_MS = 60_000;

// The approximate scan returns this many more rows than asked, so quotes tied at the cut
// are ranked by id too rather than by whichever the index met first.
const TIE_MARGIN = 5;
// The score as the API shows it; ranking by it then id keeps equal-looking scores in id order.
const SCORE = 'round((1 - distance)::numeric, 4)::float8';

/**
 * The SET LOCAL statements for one search. An HNSW scan returns at most ef_search rows, so
 * it is raised to what the query asks for when the setting is lower.
 */
export function effortSql(effort: SearchEffort, limit: number, iterative: boolean): string {
  const probes = Math.max(1, Math.floor(effort.probes));
  const statements = [hnswEffortSql(effort, limit), `SET LOCAL ivfflat.probes = ${probes}`];
  if (iterative) statements.push('SET LOCAL hnsw.iterative_scan = relaxed_order', 'SET LOCAL ivfflat.iterative_scan = relaxed_order');
  return statements.join('; ');
}

/** effortSql's HNSW setting alone. */
function hnswEffortSql(effort: SearchEffort, limit: number): string {
  const chosen = effort.efSearch === 'auto' ? DEFAULT_SEARCH_EF_SEARCH : effort.efSearch;
  return `SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(Math.floor(chosen), limit + TIE_MARGIN))}`;
}

// What toVectorLiteral and toSparseLiteral make: the only text nearestSql puts into SQL
// without quoting it.
const VECTOR_LITERAL = /^\[[-+0-9.,eE]*\]$/;
const SPARSE_LITERAL = /^\{[-+0-9.,:eE]*\}\/\d+$/;

/**
 * One unfiltered search as one simple-protocol query, so it costs one round trip (the
 * embedded PGlite serves every connection from one single-threaded backend, where the four
 * round trips of BEGIN, SET LOCAL, SELECT and COMMIT cost more than the search itself).
 * Postgres runs the statements of one such query in one implicit transaction: SET LOCAL
 * holds for the SELECT and is gone after it, also when it fails. Values are inlined: the
 * vector is our own numbers (checked), the model is quoted with escapeLiteral, the limit an
 * integer.
 * enable_seqscan = off makes the planner use the vector index at every table size. Measured
 * (docs/app.md, "Search plan"): an exact scan reads each 6 KB vector from TOAST and is several
 * times slower than the index even at the shipped 1,423 quotes, and at 100,000 rows the
 * planner's own choice at a high ef_search was a 1.2 s full scan.
 */
export function nearestSql(effort: SearchEffort, vector: string, model: string, limit: number): string {
  const { settings, select } = nearestStatements(effort, vector, model, limit);
  return `${settings}; ${select}`;
}

/** nearestSql in its two parts: the SET LOCAL statements, and the SELECT they apply to. */
export function nearestStatements(
  effort: SearchEffort,
  vector: string,
  model: string,
  limit: number,
): { settings: string; select: string } {
  // A sparse literal searches the sparse index (the local embedder's rows, see SPARSE_INDEX_NAME):
  // the same expression as the index, so that the planner matches it.
  const sparse = SPARSE_LITERAL.test(vector);
  if (!sparse && !VECTOR_LITERAL.test(vector)) throw new Error('a search vector must be a pgvector literal of numbers');
  const [embedding, type] = sparse ? [SPARSE_EMBEDDING, SPARSE_TYPE] : ['embedding', 'vector'];
  const rows = Math.floor(limit);
  return {
    // The sparse index is HNSW: ivfflat.probes would only cost the embedded database a statement.
    settings: `${sparse ? hnswEffortSql(effort, rows) : effortSql(effort, rows, false)}; SET LOCAL enable_seqscan = off`,
    // The vector appears once: its numbers are parsed once (for a dense 1536-number literal
    // about a tenth of a search's time on the embedded database), and the planner still
    // orders the index scan by it.
    select: `SELECT id::float8 AS id, quote, author, ${SCORE} AS score FROM (
      SELECT id, quote, author, ${embedding} <=> query.vector AS distance
        FROM quotes, (SELECT '${vector}'::${type} AS vector) query
       WHERE embedding IS NOT NULL AND embedding_model = ${pg.escapeLiteral(model)}
       ORDER BY ${embedding} <=> query.vector
       LIMIT ${rows + TIE_MARGIN}
    ) nearest
    ORDER BY score DESC, id LIMIT ${rows}`,
  };
}

/** pgvector 0.8.0 added hnsw.iterative_scan and ivfflat.iterative_scan. */
export function supportsIterativeScans(version: string | null): boolean {
  const [major = 0, minor = 0] = (version ?? '0').split('.').map((n) => Number.parseInt(n, 10));
  return major > 0 || minor >= 8;
}

/** An author's quotes ranked exactly (no index): complete, and cheap for one author's rows. */
async function exactAuthorSearch(
  client: pg.PoolClient,
  vector: string,
  model: string,
  limit: number,
  authors: string[],
): Promise<ScoredQuote[]> {
  const { rows } = await client.query<ScoredQuote>(
    `WITH candidates AS MATERIALIZED (
       SELECT id, quote, author, embedding <=> $1::vector AS distance
         FROM quotes
        WHERE lower(author) = ANY($4::text[]) AND embedding IS NOT NULL AND embedding_model = $2
     )
     SELECT id::float8 AS id, quote, author, ${SCORE} AS score
       FROM candidates ORDER BY score DESC, id LIMIT $3`,
    [vector, model, limit, authors],
  );
  return rows;
}

/** All SQL for quotes lives here; every value is a bound parameter. */
export class QuoteRepository {
  private readonly effort: SearchEffort;
  private iterativeSupport?: Promise<boolean>;
  private size?: { shape: Promise<TableShape>; until: number };

  constructor(
    private readonly pool: pg.Pool,
    effort: Partial<SearchEffort> = {},
  ) {
    this.effort = { ...DEFAULT_SEARCH_EFFORT, ...effort };
  }

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
    const { rows } = await this.pool.query<Quote>('SELECT id::float8 AS id, quote, author FROM quotes WHERE content_hash = $1', [
      contentHash,
    ]);
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
   * Nearest quotes by cosine distance among vectors of `model` only, ranked by score as the API
   * shows it (rounded to 4 places), then id: the order is the same on every backend and every
   * run, even where two distances differ only in their last bits.
   * Without an author filter: one round trip (see nearestSql), always through the vector index.
   * With an author filter the index scan is iterative (pgvector >= 0.8), so it keeps reading
   * until enough of that author's quotes are found; when it still comes back short (it stops
   * after hnsw.max_scan_tuples) or the server cannot scan iteratively, the author's rows are
   * ranked exactly instead.
   */
  async search(options: {
    vector: number[];
    model: string;
    limit: number;
    authors?: string[];
    /** Once aborted, a search still waiting for a connection gives up instead of querying. */
    signal?: AbortSignal;
  }): Promise<ScoredQuote[]> {
    if (!options.authors) return this.nearest(options.vector, options.model, options.limit, options.signal);
    const vector = toVectorLiteral(options.vector);
    const authors = options.authors.map((a) => a.toLowerCase());
    const client = await this.pool.connect();
    try {
      const iterative = await this.iterativeScans(client);
      if (!iterative) return await exactAuthorSearch(client, vector, options.model, options.limit, authors);
      await client.query(`BEGIN; ${effortSql(await this.effectiveEffort(client), options.limit, iterative)}`);
      try {
        const { rows } = await client.query<ScoredQuote>(
          `SELECT id::float8 AS id, quote, author, ${SCORE} AS score FROM (
             SELECT id, quote, author, embedding <=> $1::vector AS distance
               FROM quotes
              WHERE embedding IS NOT NULL AND embedding_model = $2 AND lower(author) = ANY($4::text[])
              ORDER BY embedding <=> $1::vector
              LIMIT $3::int + ${TIE_MARGIN}
           ) nearest
           ORDER BY score DESC, id LIMIT $3`,
          [vector, options.model, options.limit, authors],
        );
        await client.query('COMMIT');
        if (rows.length < options.limit) return await exactAuthorSearch(client, vector, options.model, options.limit, authors);
        return rows;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  }

  private async nearest(vector: number[], model: string, limit: number, signal?: AbortSignal): Promise<ScoredQuote[]> {
    const client = await this.pool.connect();
    try {
      // Under overload most of a search's wait is for a connection: by then its client may have gone.
      signal?.throwIfAborted();
      const effort = await this.effectiveEffort(client);
      // The local embedder's vectors through their sparse index while the table has one.
      const sparse = model === LOCAL_EMBEDDING_MODEL && (await this.tableShape(client)).sparseIndex;
      const literal = sparse ? toSparseLiteral(vector) : toVectorLiteral(vector);
      // Several statements in one simple query: the result of each, the SELECT's last.
      const results = (await client.query(nearestSql(effort, literal, model, limit))) as unknown as pg.QueryResult<ScoredQuote>[];
      return results[results.length - 1]!.rows;
    } finally {
      client.release();
    }
  }

  /** The effort with 'auto' resolved by the table's size (read at most once a minute). */
  async effectiveEffort(client?: pg.PoolClient): Promise<SearchEffort> {
    if (this.effort.efSearch !== 'auto') return this.effort;
    return { ...this.effort, efSearch: efSearchForRows((await this.tableShape(client ?? this.pool)).rows) };
  }

  /**
   * The planner's row estimate (kept by ANALYZE and autovacuum), or an exact count when the
   * table was never analyzed: cheap either way, and precise enough to pick an effort by size;
   * and whether the sparse index is there. Read at most once a minute, in one query.
   */
  private tableShape(db: Pick<pg.Pool, 'query'> | pg.PoolClient): Promise<TableShape> {
    if (this.size && Date.now() < this.size.until) return this.size.shape;
    const shape = db
      .query<TableShape>(
        `SELECT CASE WHEN reltuples >= 0 THEN reltuples ELSE (SELECT count(*) FROM quotes) END::float8 AS rows,
                to_regclass('${SPARSE_INDEX_NAME}') IS NOT NULL AS "sparseIndex"
           FROM pg_class WHERE oid = 'quotes'::regclass`,
      )
      .then((result) => result.rows[0] ?? { rows: 0, sparseIndex: false });
    const entry = { shape, until: Date.now() + SIZE_TTL_MS };
    this.size = entry;
    shape.catch(() => {
      if (this.size === entry) this.size = undefined; // ask again next time
    });
    return shape;
  }

  /** Whether the server's pgvector scans its indexes iteratively (0.8.0 and later); asked once. */
  private iterativeScans(client: pg.PoolClient): Promise<boolean> {
    this.iterativeSupport ??= client
      .query<{ version: string | null }>("SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'")
      .then(({ rows }) => supportsIterativeScans(rows[0]?.version ?? null))
      .catch((error: unknown) => {
        this.iterativeSupport = undefined; // ask again next time
        throw error;
      });
    return this.iterativeSupport;
  }

  /** How many stored vectors each model made (for the model-mismatch check). */
  async embeddingModels(): Promise<{ model: string; count: number }[]> {
    const { rows } = await this.pool.query<{ model: string; count: number }>(
      'SELECT embedding_model AS model, count(*)::int AS count FROM quotes WHERE embedding IS NOT NULL GROUP BY embedding_model',
    );
    return rows;
  }
}
