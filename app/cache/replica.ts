import type { Logger } from '../observability/logger.js';
import type { CacheReadSource } from '../observability/metrics.js';
import type { Cache } from './cache.js';
import type { RedisCache } from './redis.js';

export interface ReplicaReadCacheOptions {
  /** How often the replica's link to the primary is checked (INFO replication). @default 1000 */
  checkIntervalMs?: number;
  /** Called once per read that a Redis answered, with the one that did. */
  onRead?: (source: CacheReadSource) => void;
  log?: Logger;
}

/**
 * Reads from a Redis read replica (the sidecar beside the API pod), writes to the primary.
 * A replica that is down, not connected yet, loading or whose link to the primary is down
 * would answer errors (MASTERDOWN, LOADING) or misses for keys it has not received: reads go
 * to the primary until the periodic check sees the replica in sync again. A read the
 * replica fails is retried on the primary at once, so the caller never sees the difference.
 */
export class ReplicaReadCache implements Cache {
  readonly kind = 'redis' as const;
  private inSync = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onRead?: (source: CacheReadSource) => void;
  private readonly log?: Logger;

  constructor(
    private readonly primary: RedisCache,
    private readonly replica: RedisCache,
    options: ReplicaReadCacheOptions = {},
  ) {
    this.onRead = options.onRead;
    this.log = options.log;
    void this.check();
    this.timer = setInterval(() => void this.check(), options.checkIntervalMs ?? 1_000);
    this.timer.unref();
  }

  async get(key: string): Promise<{ value?: string; error?: boolean }> {
    if (this.inSync) {
      const result = await this.replica.get(key);
      if (!result.error) {
        this.onRead?.('replica');
        return result;
      }
      // Down, timed out, MASTERDOWN or LOADING: the primary until the next check says otherwise.
      this.markInSync(false);
    }
    const result = await this.primary.get(key);
    if (!result.error) this.onRead?.('primary');
    return result;
  }

  set(key: string, value: string, ttlSeconds: number): Promise<{ error?: boolean }> {
    return this.primary.set(key, value, ttlSeconds);
  }

  /** The primary's state: the replica only speeds reads up, so it never decides readiness. */
  state(): 'ready' | 'connecting' | 'down' {
    return this.primary.state();
  }

  replicaState(): 'in-sync' | 'not-in-sync' {
    return this.inSync ? 'in-sync' : 'not-in-sync';
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([this.primary.close(), this.replica.close()]);
  }

  private async check(): Promise<void> {
    this.markInSync(await this.replica.replicaInSync());
  }

  private markInSync(inSync: boolean): void {
    if (inSync === this.inSync) return;
    this.inSync = inSync;
    if (inSync) this.log?.info('redis read replica in sync: cache reads go to it');
    else this.log?.warn('redis read replica down or not in sync: cache reads go to the primary');
  }
}
