import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { startService, type RunningService } from '../../app/main.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';
import { killAndWait, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { getJson, insertQuotes, testConfig, waitFor } from './support.js';

let db: EmbeddedPostgres;
let redis: RedisServer;
let service: RunningService;
let paused = false;

beforeAll(async () => {
  [db, redis] = await Promise.all([startTestPostgres(), startRedisServer()]);
  service = await startService(testConfig(db.url, { REDIS_URL: redis.url, CACHE_TTL_SECONDS: '120' }), { migrate: true });
  await service.databaseReady;
  await insertQuotes(service.repository, new LocalEmbedder(), loadQuoteFixture().slice(0, 80));
});

afterAll(async () => {
  if (paused) process.kill(redis.pid, 'SIGCONT');
  await service?.stop();
  await Promise.allSettled([redis?.stop(true), db?.stop()]);
});

const cacheCount = async (cache: string, result: string) => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return Number(new RegExp(`quotes_cache_operations_total\\{cache="${cache}",result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
};

describe('Redis cache', () => {
  it('caches search results and query embeddings in Redis with the TTL', async () => {
    await waitFor(async () => (await getJson(`${service.url}/readyz`)).body.cache?.state === 'ready');
    const hitsBefore = await cacheCount('search', 'hit');
    const first = await getJson(`${service.url}/quotes/search?q=heart%20ocean`);
    const second = await getJson(`${service.url}/quotes/search?q=heart%20ocean`);
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(await cacheCount('search', 'hit')).toBe(hitsBefore + 1);

    const client = new Redis(redis.url);
    try {
      const searchKeys = await client.keys('quotes:search:v1:*');
      const embeddingKeys = await client.keys('quotes:embedding:v1:*');
      expect(searchKeys).toHaveLength(1);
      expect(embeddingKeys).toHaveLength(1);
      const ttl = await client.ttl(searchKeys[0]!);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
      expect(JSON.parse((await client.get(searchKeys[0]!))!)).toEqual(first.body);
    } finally {
      client.disconnect();
    }
  });

  it('without REDIS_READ_URL reads only the primary and exports no read-replica metric', async () => {
    expect((await getJson(`${service.url}/quotes/search?q=heart%20ocean`)).status).toBe(200);
    expect(await (await fetch(`${service.url}/metrics`)).text()).not.toContain('quotes_cache_reads_total');
    expect((await getJson(`${service.url}/readyz`)).body.cache).toEqual({ kind: 'redis', state: 'ready' });
  });

  it('serves a repeated hot query from the in-process tier without a Redis round trip', async () => {
    const client = new Redis(redis.url);
    const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
    try {
      const first = await getJson(`${service.url}/quotes/search?q=enterprise%20hard%20work`);
      const before = await gets();
      const again = await getJson(`${service.url}/quotes/search?q=enterprise%20hard%20work`);
      expect(again.body).toEqual(first.body);
      expect(await gets()).toBe(before);
      // Another process (a second replica) still finds it in Redis.
      expect(await client.keys('quotes:search:v1:*')).toHaveLength(2);
    } finally {
      client.disconnect();
    }
  });

  it('keeps answering quickly when Redis hangs (fail-open on a timeout)', async () => {
    process.kill(redis.pid, 'SIGSTOP');
    paused = true;
    try {
      const errorsBefore = await cacheCount('search', 'error');
      const started = Date.now();
      const { status, body } = await getJson(`${service.url}/quotes/search?q=courage%20in%20hard%20times`);
      expect(status).toBe(200);
      expect(Array.isArray(body)).toBe(true);
      // Redis is still stopped: the answer came from the 100 ms command timeout, not from Redis waking up.
      // 100x that timeout tells fail-open from a hang on any machine load.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await cacheCount('search', 'error')).toBeGreaterThan(errorsBefore);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
      paused = false;
    }
  });

  it('keeps answering 200 after redis-server is killed mid-test, counting cache errors', async () => {
    await waitFor(async () => (await getJson(`${service.url}/readyz`)).body.cache?.state === 'ready');
    expect((await getJson(`${service.url}/quotes/search?q=heart%20ocean`)).status).toBe(200);
    await redis.stop(true); // SIGKILL
    const errorsBefore = await cacheCount('search', 'error');
    // Queries not yet in the in-process tier, so each one goes to (the dead) Redis first.
    for (const q of ['thinking%20capital%20enterprise', 'love', 'heart%20depths%20ocean']) {
      const { status, body } = await getJson(`${service.url}/quotes/search?q=${q}`);
      expect(status).toBe(200);
      expect(body.length).toBeGreaterThan(0);
    }
    expect(await cacheCount('search', 'error')).toBeGreaterThanOrEqual(errorsBefore + 3);
    // A result the process already holds is still served from its own tier.
    expect((await getJson(`${service.url}/quotes/search?q=heart%20ocean`)).status).toBe(200);
    const ready = await getJson(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.cache).toEqual({ kind: 'redis', state: 'down' });
  });
});

describe('Redis coming back', () => {
  it('reconnects in the background and caches in Redis again', async () => {
    // A fresh redis-server on the same port and password as the one killed above.
    const revived = spawn(
      'redis-server',
      ['--port', String(redis.port), '--bind', '127.0.0.1', '--requirepass', redis.password, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(async () => (await getJson(`${service.url}/readyz`)).body.cache?.state === 'ready', 20_000);
      expect((await getJson(`${service.url}/quotes/search?q=after%20the%20restart`)).status).toBe(200);
      const client = new Redis(redis.url);
      try {
        await waitFor(async () => (await client.keys('quotes:search:v1:*')).length === 1);
      } finally {
        client.disconnect();
      }
    } finally {
      await killAndWait(revived, 'SIGKILL');
    }
  });
});
