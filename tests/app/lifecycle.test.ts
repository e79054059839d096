import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../app/db/migrate.js';
import { startService } from '../../app/main.js';
import { startEmbeddedPostgres } from '../../bin/dev/embedded-postgres.js';
import { freePort } from '../helpers/ports.js';
import { startTestPostgres, testPool, type EmbeddedPostgres } from '../helpers/postgres.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { FakeOpenAI } from './fake-openai.js';
import { getJson, testConfig } from './support.js';

/** The real process entry, the way the container runs it (TypeScript through tsx here). */
function entry(args: string[], env: Record<string, string>) {
  return execa('node', ['--import', 'tsx', repoPath('app/main.ts'), ...args], {
    cwd: repoPath(),
    env: { LOG_LEVEL: 'info', ...env },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    // Leave the shutdown to the service: no SIGKILL 5 s after our SIGTERM on a busy machine.
    forceKillAfterDelay: 30_000,
  });
}
const baseEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' });

describe('start-up without a database', () => {
  it('answers /readyz 503 (and data routes 503) until Postgres appears, then 200', async () => {
    const port = await freePort();
    const service = await startService(testConfig(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`), { migrate: true });
    let db: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
    try {
      expect((await getJson(`${service.url}/healthz`)).status).toBe(200);
      const unready = await getJson(`${service.url}/readyz`);
      expect(unready.status).toBe(503);
      expect(unready.body).toMatchObject({ error: 'not_ready', database: 'unreachable' });
      expect(unready.body.message).toMatch(/database unreachable/);
      const data = await getJson(`${service.url}/quotes`);
      expect(data.status).toBe(503);
      expect(data.body.error).toBe('database_unavailable');

      db = await startEmbeddedPostgres({ port });
      await service.databaseReady; // the start-up loop retried with backoff and then migrated
      const ready = await getJson(`${service.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', database: 'ok', migrations: { current: 1, expected: 1 } });
      expect((await getJson(`${service.url}/quotes`)).status).toBe(200);
    } finally {
      await service.stop();
      await db?.stop();
    }
  });
});

describe('with a database', () => {
  let db: EmbeddedPostgres;
  beforeAll(async () => {
    db = await startTestPostgres();
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('reports "not migrated" until migrations ran', async () => {
    const service = await startService(testConfig(db.url));
    try {
      await service.databaseReady;
      const { status, body } = await getJson(`${service.url}/readyz`);
      expect(status).toBe(503);
      expect(body.database).toBe('not_migrated');
      expect(body.message).toMatch(/run the migrate job/);
    } finally {
      await service.stop();
    }
  });

  it('migrates safely when two runners start at once', async () => {
    const a = testPool(db, 2);
    const b = testPool(db, 2);
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      expect([...ra.applied, ...rb.applied]).toEqual(['0001_quotes']);
      const { rows } = await a.query('SELECT version FROM schema_migrations');
      expect(rows).toEqual([{ version: 1 }]);
      expect(await migrate(b)).toEqual({ applied: [], alreadyApplied: 1 });
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('`migrate` entry applies migrations and the vector index, and exits 0', async () => {
    const result = await entry(['migrate'], { ...baseEnv(), DATABASE_URL: db.url, VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '7' });
    expect(result.exitCode, result.stderr).toBe(0);
    const logs = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const done = logs.find((l) => l.msg === 'migrations done');
    expect(done).toMatchObject({ vectorIndex: 'ivfflat (created)' });
    expect(done.indexBuildMs).toBeGreaterThan(0);
    const pool = testPool(db, 1);
    try {
      const { rows } = await pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'quotes_embedding_idx'");
      expect(rows[0].indexdef).toMatch(/ivfflat.*lists='7'/);
    } finally {
      await pool.end();
    }
  });

  it('on SIGTERM turns readiness off, finishes the in-flight request, closes and exits 0', async () => {
    const openai = await new FakeOpenAI().start();
    const port = await freePort();
    let child: ResultPromise | undefined;
    try {
      child = entry(['serve'], {
        ...baseEnv(),
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        OPENAI_API_KEY: 'sk-test-secret-key',
        OPENAI_BASE_URL: openai.url,
        SHUTDOWN_DRAIN_SECONDS: '2',
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(async () => (await getJson(`${url}/readyz`).catch(() => ({ status: 0 }))).status === 200);

      openai.delayMs = 3_000; // the search below is in flight while SIGTERM arrives
      const inFlight = getJson(`${url}/quotes/search?q=patience`);
      await waitFor(async () => openai.requests.length > 0);
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const draining = await getJson(`${url}/readyz`);
      expect(draining.status).toBe(503);
      expect(draining.body.message).toBe('shutting down');

      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(Array.isArray(answered.body)).toBe(true);
      const result = await child;
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('quote API stopped');
      expect(result.stdout).not.toContain('sk-test-secret-key');
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      child?.kill('SIGKILL');
      await openai.stop();
    }
  });
});

describe('process entry', () => {
  it('exits 2 with one clear line for an unknown command', async () => {
    const result = await entry(['serv'], baseEnv());
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^quote-api: unknown command "serv": use one of serve, migrate\b/);
  });

  it('exits 2 listing every bad variable', async () => {
    const result = await entry(['serve'], { ...baseEnv(), PORT: 'http', LOG_LEVEL: 'chatty', REDIS_URL: 'localhost:6379' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/invalid configuration \(3 problems\)/);
    for (const name of ['PORT', 'LOG_LEVEL', 'REDIS_URL']) expect(result.stderr).toContain(`${name}:`);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
