import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../app/cache/redis.js';
import { ReplicaReadCache } from '../../app/cache/replica.js';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { startService, type RunningService } from '../../app/main.js';
import type { CacheReadSource } from '../../app/observability/metrics.js';
import { freePort } from '../helpers/ports.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { getJson, insertQuotes, testConfig, waitFor } from './support.js';

const PASSWORD = 'replica-test-password';

/** Two real redis-servers: a primary, and a password-protected replica that `replicaof` it. */
class ReplicatedRedis {
  primary!: RedisServer;
  replica!: RedisServer;

  async start(): Promise<this> {
    // No diskless-sync delay (5 s by default): a (re)started replica syncs at once.
    this.primary = await startRedisServer(PASSWORD, { args: ['--repl-diskless-sync-delay', '0'] });
    await this.startReplica();
    return this;
  }

  /** (Re)starts the replica, on its previous port when there was one, as the sidecar runs it. */
  async startReplica(): Promise<void> {
    this.replica = await startRedisServer(PASSWORD, { port: this.replica?.port, args: this.replicaArgs(this.primary.port) });
  }

  replicaArgs(primaryPort: number): string[] {
    return ['--replicaof', '127.0.0.1', String(primaryPort), '--masterauth', PASSWORD, '--replica-serve-stale-data', 'no'];
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.replica?.stop(true), this.primary?.stop(true)]);
  }
}

/** GET calls a redis-server has answered (INFO commandstats). */
async function getCalls(client: Redis): Promise<number> {
  return Number(/cmdstat_get:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
}

describe('ReplicaReadCache against a primary and its replica', () => {
  const redis = new ReplicatedRedis();
  let cache: ReplicaReadCache;
  let primaryClient: Redis;
  const reads: CacheReadSource[] = [];

  beforeAll(async () => {
    await redis.start();
    cache = new ReplicaReadCache(new RedisCache(redis.primary.url), new RedisCache(redis.replica.url), {
      checkIntervalMs: 100,
      onRead: (source) => reads.push(source),
    });
    primaryClient = new Redis(redis.primary.url);
  });

  afterAll(async () => {
    primaryClient?.disconnect();
    await cache?.close();
    await redis.stop();
  });

  /** Reads `key` through the cache and says which Redis answered and what it counted there. */
  async function readThrough(key: string): Promise<{ value?: string; error?: boolean; source?: CacheReadSource; primaryGets: number }> {
    const before = await getCalls(primaryClient);
    reads.length = 0;
    const result = await cache.get(key);
    return { ...result, source: reads[0], primaryGets: (await getCalls(primaryClient)) - before };
  }

  it('writes to the primary and reads from the replica once it is in sync', async () => {
    await waitFor(async () => cache.replicaState() === 'in-sync');
    expect(await cache.set('greeting', 'hello', 60)).toEqual({});
    expect(await primaryClient.get('quotes:greeting')).toBe('hello');

    const replicaClient = new Redis(redis.replica.url);
    try {
      await waitFor(async () => (await replicaClient.get('quotes:greeting')) === 'hello');
      const replicaGetsBefore = await getCalls(replicaClient);
      expect(await readThrough('greeting')).toEqual({ value: 'hello', source: 'replica', primaryGets: 0 });
      expect(await getCalls(replicaClient)).toBe(replicaGetsBefore + 1);
      // The replica is read-only: nothing but the primary could have taken the write.
      await expect(replicaClient.set('quotes:other', 'x')).rejects.toThrow(/READONLY/);
    } finally {
      replicaClient.disconnect();
    }
  });

  it('reads from the primary, without an error, while the replica has no link to it (MASTERDOWN), and returns after the resync', async () => {
    await waitFor(async () => cache.replicaState() === 'in-sync');
    const replicaClient = new Redis(redis.replica.url);
    try {
      // Pointed at a port nobody listens on, the replica answers MASTERDOWN to reads.
      await replicaClient.replicaof('127.0.0.1', await freePort());
      await expect(replicaClient.get('quotes:greeting')).rejects.toThrow(/MASTERDOWN/);
      expect(await readThrough('greeting')).toEqual({ value: 'hello', source: 'primary', primaryGets: 1 });
      expect(cache.replicaState()).toBe('not-in-sync');

      await replicaClient.replicaof('127.0.0.1', redis.primary.port);
      await waitFor(async () => cache.replicaState() === 'in-sync');
      expect(await readThrough('greeting')).toEqual({ value: 'hello', source: 'replica', primaryGets: 0 });
    } finally {
      replicaClient.disconnect();
    }
  });

  it('falls back to the primary with no error when the replica is killed, and goes back to it once restarted and synced', async () => {
    await waitFor(async () => cache.replicaState() === 'in-sync');
    await redis.replica.stop(true);
    for (let i = 0; i < 3; i++) {
      expect(await readThrough('greeting')).toEqual({ value: 'hello', source: 'primary', primaryGets: 1 });
    }
    expect(cache.replicaState()).toBe('not-in-sync');
    expect(cache.state()).toBe('ready');

    await redis.startReplica();
    // The client reconnects with backoff, then the replica resyncs the whole data set.
    await waitFor(async () => cache.replicaState() === 'in-sync', 20_000);
    expect(await readThrough('greeting')).toEqual({ value: 'hello', source: 'replica', primaryGets: 0 });
  });

  it('never reads from a replica that serves stale data while its link is down (replica-serve-stale-data yes)', async () => {
    const stale = await startRedisServer(PASSWORD, {
      args: ['--replicaof', '127.0.0.1', String(await freePort()), '--masterauth', PASSWORD],
    });
    const staleCache = new ReplicaReadCache(new RedisCache(redis.primary.url), new RedisCache(stale.url), {
      checkIntervalMs: 100,
      onRead: (source) => reads.push(source),
    });
    try {
      const staleClient = new Redis(stale.url);
      try {
        // It answers reads (a miss here), so only the link check keeps reads off it.
        expect(await staleClient.get('quotes:greeting')).toBeNull();
      } finally {
        staleClient.disconnect();
      }
      await new Promise((r) => setTimeout(r, 300));
      reads.length = 0;
      expect(await staleCache.get('greeting')).toEqual({ value: 'hello' });
      expect(reads).toEqual(['primary']);
      expect(staleCache.replicaState()).toBe('not-in-sync');
    } finally {
      await staleCache.close();
      await stale.stop(true);
    }
  });
});

describe('the API with REDIS_READ_URL', () => {
  const redis = new ReplicatedRedis();
  let db: EmbeddedPostgres;
  let service: RunningService;

  beforeAll(async () => {
    [db] = await Promise.all([startTestPostgres(), redis.start()]);
    // No in-process tier: every cached search is a Redis read.
    const config = testConfig(db.url, { REDIS_URL: redis.primary.url, REDIS_READ_URL: redis.replica.url, CACHE_LOCAL_TTL_SECONDS: '0' });
    service = await startService(config, { migrate: true });
    await service.databaseReady;
    await insertQuotes(service.repository, new LocalEmbedder(), loadQuoteFixture().slice(0, 60));
  });

  afterAll(async () => {
    await service?.stop();
    await Promise.allSettled([redis.stop(), db?.stop()]);
  });

  const readsFrom = async (source: CacheReadSource) => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return Number(new RegExp(`quotes_cache_reads_total\\{source="${source}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };

  it('serves cached searches from the replica, and from the primary with no error once the replica is killed', async () => {
    await waitFor(async () => (await getJson(`${service.url}/readyz`)).body.cache?.replica === 'in-sync');
    const first = await getJson(`${service.url}/quotes/search?q=heart%20ocean`);
    expect(first.status).toBe(200);
    const primaryClient = new Redis(redis.primary.url);
    try {
      // The result was written to the primary; wait until the replica has it too.
      const [key] = await primaryClient.keys('quotes:search:v1:*');
      expect(key).toBeDefined();
      const replicaClient = new Redis(redis.replica.url);
      await waitFor(async () => (await replicaClient.exists(key!)) === 1).finally(() => replicaClient.disconnect());
    } finally {
      primaryClient.disconnect();
    }
    const replicaBefore = await readsFrom('replica');
    const second = await getJson(`${service.url}/quotes/search?q=heart%20ocean`);
    expect(second.body).toEqual(first.body);
    expect(await readsFrom('replica')).toBe(replicaBefore + 1);

    await redis.replica.stop(true);
    const primaryBefore = await readsFrom('primary');
    const third = await getJson(`${service.url}/quotes/search?q=heart%20ocean`);
    expect(third.status).toBe(200);
    expect(third.body).toEqual(first.body);
    expect(await readsFrom('primary')).toBeGreaterThan(primaryBefore);
    const ready = await getJson(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.cache).toEqual({ kind: 'redis', state: 'ready', replica: 'not-in-sync' });
  });
});
