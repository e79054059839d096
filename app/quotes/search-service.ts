import { createHash } from 'node:crypto';
import type { Cache } from '../cache/cache.js';
import type { MemoryCache } from '../cache/memory.js';
import { EmbeddingUnavailableError, type EmbeddingProvider } from '../embeddings/provider.js';
import { EmbeddingModelMismatchError } from '../errors.js';
import type { AppMetrics, CacheName } from '../observability/metrics.js';
import { normalizeText } from './quote-text.js';
import type { QuoteRepository, ScoredQuote } from './repository.js';

export interface SearchRequest {
  q: string;
  limit: number;
  author?: string;
  /** Aborts when the client has gone: work not yet sent to the database is dropped. */
  signal?: AbortSignal;
}

/**
 * A search with its cache keys worked out. It depends only on the request's fields and the model,
 * so a route may keep it and reuse it for the same query string.
 */
export interface PreparedSearch {
  readonly limit: number;
  /** The query text, normalised. */
  readonly query: string;
  /** The author filter, normalised; '' for none. */
  readonly author: string;
  /** Model, limit, author and query: what makes two searches the same search. */
  readonly identity: string;
  /** The in-process cache's key (the identity itself: no hashing on the hot path). */
  readonly localKey: string;
}

/** A search dropped because every client waiting for it has gone. */
export class SearchAbandonedError extends Error {
  constructor() {
    super('the client closed the request before the search reached the database');
    this.name = 'SearchAbandonedError';
  }
}

/** One search being worked on, and how many clients still wait for it. */
interface InFlightSearch {
  work: Promise<string>;
  waiting: number;
  abandoned: AbortController;
}

export interface SearchServiceOptions {
  repository: QuoteRepository;
  embedder: EmbeddingProvider;
  cache: Cache;
  metrics?: Pick<AppMetrics, 'cache'>;
  ttlSeconds: number;
  /** How long a "stored vectors match the model" verdict is trusted before re-checking. */
  modelCheckTtlMs?: number;
  /**
   * With a shared cache (Redis): an in-process first tier for search results, so hot
   * queries skip the network round trip. Entries live at most `localTtlSeconds`.
   */
  local?: MemoryCache;
  localTtlSeconds?: number;
  /**
   * Longest a search waits for its query embedding, retries included. The provider's own
   * per-attempt timeout and retry budget suit batch work; an interactive request must not
   * hang for all of them.
   */
  embedBudgetMs?: number;
}

/**
 * Search: cached result -> cached or fresh query embedding -> pgvector nearest neighbours.
 * Results are cached as the JSON the API sends, so a hit costs one lookup and no
 * serialisation. Identical concurrent misses share one embedding call and one query.
 */
export class SearchService {
  private readonly repository: QuoteRepository;
  private readonly embedder: EmbeddingProvider;
  private readonly cache: Cache;
  /** The in-process tier: the cache itself without Redis, else the optional first tier. */
  private readonly memory?: MemoryCache;
  private readonly shared: boolean;
  private readonly localTtlSeconds: number;
  private readonly embedBudgetMs: number;
  private readonly metrics?: Pick<AppMetrics, 'cache'>;
  private readonly ttlSeconds: number;
  private readonly modelCheckTtlMs: number;
  private modelVerifiedUntil = 0;
  private readonly inFlight = new Map<string, InFlightSearch>();

  constructor(options: SearchServiceOptions) {
    this.repository = options.repository;
    this.embedder = options.embedder;
    this.cache = options.cache;
    this.shared = options.cache.kind !== 'memory';
    this.memory = this.shared ? options.local : (options.cache as MemoryCache);
    this.localTtlSeconds = Math.min(options.localTtlSeconds ?? 10, options.ttlSeconds);
    this.metrics = options.metrics;
    this.ttlSeconds = options.ttlSeconds;
    this.modelCheckTtlMs = options.modelCheckTtlMs ?? 30_000;
    this.embedBudgetMs = options.embedBudgetMs ?? 12_000;
  }

  get model(): string {
    return this.embedder.model;
  }

  /** The results as a JSON array string: [{id, quote, author, score}]. */
  async searchJson(search: PreparedSearch, signal?: AbortSignal): Promise<string> {
    const { query, author, identity, localKey } = search;
    const local = this.memory?.getSync(localKey);
    if (local !== undefined) {
      this.metrics?.cache('search', 'hit');
      return local;
    }
    let key = localKey;
    if (this.shared) {
      key = `search:v1:${digest(identity)}`;
      const cached = await this.cacheGet('search', key);
      if (cached !== undefined) {
        void this.memory?.set(localKey, cached, this.localTtlSeconds);
        return cached;
      }
    } else {
      this.metrics?.cache('search', 'miss');
    }

    let entry = this.inFlight.get(key);
    // Work every earlier client abandoned is not joined: it may already have given up.
    if (!entry || entry.abandoned.signal.aborted) {
      const abandoned = new AbortController();
      const work = this.searchUncached(query, search.limit, author || undefined, key, localKey, abandoned.signal).finally(() => {
        if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
      });
      entry = { work, waiting: 0, abandoned };
      this.inFlight.set(key, entry);
    }
    this.follow(entry, signal);
    return entry.work;
  }

  /**
   * The results if the in-process cache holds them, without a promise: the route answers a
   * repeated search with no further work (no abort wiring, no await). Undefined otherwise.
   */
  cachedJson(search: PreparedSearch): string | undefined {
    const local = this.memory?.getSync(search.localKey);
    if (local !== undefined) this.metrics?.cache('search', 'hit');
    return local;
  }

  prepare(request: Omit<SearchRequest, 'signal'>): PreparedSearch {
    const query = normalizeQuery(request.q);
    const author = request.author ? normalizeQuery(request.author) : '';
    const identity = `${this.embedder.model}\u0000${request.limit}\u0000${author}\u0000${query}`;
    // Redis gets a fixed-length digest of the identity (long queries must not make long keys).
    return { limit: request.limit, query, author, identity, localKey: `search:${identity}` };
  }

  /** Counts a client waiting for shared work; when the last one has gone, the work is abandoned. */
  private follow(entry: InFlightSearch, signal: AbortSignal | undefined): void {
    if (!signal) {
      entry.waiting = Number.POSITIVE_INFINITY; // a caller that cannot leave keeps the work alive
      return;
    }
    entry.waiting++;
    const leave = () => {
      if (--entry.waiting === 0) entry.abandoned.abort();
    };
    if (signal.aborted) leave();
    else signal.addEventListener('abort', leave, { once: true });
  }

  async search(request: SearchRequest): Promise<ScoredQuote[]> {
    return JSON.parse(await this.searchJson(this.prepare(request), request.signal)) as ScoredQuote[];
  }

  private async searchUncached(
    query: string,
    limit: number,
    author: string | undefined,
    key: string,
    localKey: string,
    abandoned: AbortSignal,
  ): Promise<string> {
    const [vector, authors] = await Promise.all([
      this.queryVector(query),
      author ? this.repository.resolveAuthors(author) : Promise.resolve(undefined),
    ]);
    await this.verifyStoredModel();
    if (abandoned.aborted) throw new SearchAbandonedError();
    // A few more than asked, so that collapsing near-duplicates still fills the page.
    const rows =
      authors && authors.length === 0
        ? []
        : await this.repository.search({ vector, model: this.embedder.model, limit: limit + DUPLICATE_MARGIN, authors, signal: abandoned });
    const json = JSON.stringify(
      withoutNearDuplicates(rows)
        .slice(0, limit)
        .map((r) => ({ id: r.id, quote: r.quote, author: r.author, score: round(r.score) })),
    );
    if (this.shared) {
      void this.cacheSet('search', key, json);
      void this.memory?.set(localKey, json, this.localTtlSeconds);
    } else {
      void this.memory!.set(localKey, json, this.ttlSeconds);
    }
    return json;
  }

  private async queryVector(query: string): Promise<number[]> {
    const key = `embedding:v1:${digest(`${this.embedder.model}\u0000${query}`)}`;
    const cached = await this.cacheGet('embedding', key);
    if (cached !== undefined) return decodeVector(cached);
    const deadline = AbortSignal.timeout(this.embedBudgetMs);
    let vectors: number[][];
    try {
      ({ vectors } = await this.embedder.embed([query], { signal: deadline }));
    } catch (error) {
      if (!deadline.aborted || error instanceof EmbeddingUnavailableError) throw error;
      throw new EmbeddingUnavailableError(`embeddings server gave no answer within ${this.embedBudgetMs} ms`, { cause: error });
    }
    const vector = vectors[0]!;
    void this.cacheSet('embedding', key, encodeVector(vector));
    return vector;
  }

  /** Refuses to compare the query with vectors from another model; see EmbeddingModelMismatchError. */
  private async verifyStoredModel(): Promise<void> {
    if (Date.now() < this.modelVerifiedUntil) return;
    const models = await this.repository.embeddingModels();
    const others = models.filter((m) => m.model !== this.embedder.model).map((m) => m.model ?? '(unknown)');
    if (others.length) throw new EmbeddingModelMismatchError(this.embedder.model, others);
    this.modelVerifiedUntil = Date.now() + this.modelCheckTtlMs;
  }

  private async cacheGet(cache: CacheName, key: string): Promise<string | undefined> {
    const { value, error } = await this.cache.get(key);
    this.metrics?.cache(cache, error ? 'error' : value === undefined ? 'miss' : 'hit');
    return value;
  }

  private async cacheSet(cache: CacheName, key: string, value: string): Promise<void> {
    const { error } = await this.cache.set(key, value, this.ttlSeconds);
    if (error) this.metrics?.cache(cache, 'error');
  }
}

const DUPLICATE_MARGIN = 5;

/**
 * Ranked results without near-duplicates: the same words by the same author, differing only
 * in letter case, punctuation or spacing ("It'S Hard To Be Humble, When..." and "It's hard to
 * be humble when..." are both in the shipped data). The first, best-ranked one stays.
 */
export function withoutNearDuplicates<T extends { quote: string; author: string }>(rows: T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = `${wordsOnly(row.quote)}\u0000${wordsOnly(row.author)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const wordsOnly = (text: string) =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/** normalizeText, with a fast path for plain ASCII (which NFKC leaves unchanged). */
function normalizeQuery(text: string): string {
  return PLAIN_ASCII.test(text) ? text.toLowerCase().replace(/\s+/g, ' ').trim() : normalizeText(text);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

const round = (score: number) => Math.round(score * 10_000) / 10_000;

/** Float32 little-endian, base64: a quarter of the JSON size, exact enough for cosine ranking. */
export function encodeVector(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

export function decodeVector(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  // Copy out: a pooled Buffer's offset need not be 4-byte aligned, which Float32Array requires.
  const aligned = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return Array.from(new Float32Array(aligned));
}
