import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import type { Cache } from './cache.js';

export interface RedisCacheOptions {
  /** A command slower than this counts as failed, and the request goes on without the cache. */
  commandTimeoutMs?: number;
  log?: Logger;
}

/**
 * Redis as a fail-open cache. Commands are never queued while disconnected (they fail at
 * once) and time out quickly, so a dead or slow Redis costs a request a few milliseconds,
 * not an error. The client keeps reconnecting in the background.
 */
export class RedisCache implements Cache {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private lastState: string = 'connecting';

  constructor(url: string, options: RedisCacheOptions = {}) {
    const log = options.log;
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 100,
      connectTimeout: 2_000,
      keyPrefix: 'quotes:',
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
      lazyConnect: false,
    });
    this.redis.on('error', (error: Error) => {
      if (this.lastState !== 'error') log?.warn({ err: error.message }, 'redis cache unavailable; serving without it');
      this.lastState = 'error';
    });
    this.redis.on('ready', () => {
      if (this.lastState !== 'connecting') log?.info('redis cache connected again');
      this.lastState = 'ready';
    });
  }

  async get(key: string): Promise<{ value?: string; error?: boolean }> {
    if (this.redis.status !== 'ready') return { error: true };
    try {
      const value = await this.redis.get(key);
      return { value: value ?? undefined };
    } catch {
      return { error: true };
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<{ error?: boolean }> {
    if (this.redis.status !== 'ready') return { error: true };
    try {
      await this.redis.set(key, value, 'EX', ttlSeconds);
      return {};
    } catch {
      return { error: true };
    }
  }

  /**
   * True when this Redis is a replica whose link to its primary is up and not mid-sync
   * (INFO replication). False while it loads the primary's data, when the link is down, or
   * when it does not answer.
   */
  async replicaInSync(): Promise<boolean> {
    if (this.redis.status !== 'ready') return false;
    try {
      const info = await this.redis.info('replication');
      return /^master_link_status:up\r?$/m.test(info) && !/^master_sync_in_progress:1\r?$/m.test(info);
    } catch {
      return false;
    }
  }

  state(): 'ready' | 'connecting' | 'down' {
    const status = this.redis.status;
    if (status === 'ready') return 'ready';
    if (status === 'connecting' || status === 'connect' || status === 'wait') return this.lastState === 'error' ? 'down' : 'connecting';
    return 'down';
  }

  async close(): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
