import type { Cache } from './cache.js';

/**
 * In-process LRU with per-entry expiry: the cache when no REDIS_URL is configured
 * (`qctl dev`, single replica). A Map keeps insertion order, so re-inserting on read
 * makes the first key the least recently used.
 */
export class MemoryCache implements Cache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  async get(key: string): Promise<{ value?: string }> {
    return { value: this.getSync(key) };
  }

  /** Synchronous read for the hot path (no promise needed for an in-memory hit). */
  getSync(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<{ error?: boolean }> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return {};
  }

  get size(): number {
    return this.entries.size;
  }

  state(): 'ready' {
    return 'ready';
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
