import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../app/db/migrate.js';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { startService, type RunningService } from '../../app/main.js';
import { POOLED_STATEMENT_TIMEOUT_MS } from '../../infra/charts/pgbouncer.js';
import { startPgbouncer, type RunningPgbouncer } from '../helpers/pgbouncer.js';
import { startTestPostgres, testPool, type TestPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';
import { getJson, insertQuotes, testConfig } from './support.js';

/**
 * The API through a real PgBouncer in transaction mode (the cluster's pgbouncer.ini), one
 * server connection shared by a pool of eight: every query must be self-contained per
 * transaction (SET LOCAL, no session state, unnamed prepared statements only).
 */
const TOKEN = 'test-api-token-0123456789';
let db: TestPostgres;
let bouncer: RunningPgbouncer;
let pooled: RunningService;
let direct: RunningService;

beforeAll(async () => {
  db = await startTestPostgres();
  // The migrate Job connects directly (it holds a session advisory lock).
  const jobPool = testPool(db, 2);
  await migrate(jobPool);
  await jobPool.end();
  bouncer = await startPgbouncer({ serverHost: db.host, serverPort: db.port, user: db.user, password: db.password, poolSize: 1 });
  const database = new URL(db.url).pathname.slice(1);
  pooled = await startService(testConfig(bouncer.url(database), { API_TOKEN: TOKEN, DB_POOL_MAX: '8' }));
  await pooled.databaseReady;
  direct = await startService(testConfig(db.url));
  await direct.databaseReady;
  const seen = new Set<string>();
  const quotes = loadQuoteFixture()
    .filter((q) => !seen.has(q.quote) && seen.add(q.quote))
    .slice(0, 120);
  // Writes through the pooler too.
  await insertQuotes(pooled.repository, new LocalEmbedder(), quotes);
}, 60_000);

afterAll(async () => {
  await pooled?.stop();
  await direct?.stop();
  await bouncer?.stop();
  await db?.stop();
});

async function adminRows(command: string): Promise<Record<string, string>[]> {
  const client = new pg.Client({ connectionString: bouncer.url('pgbouncer') });
  await client.connect();
  try {
    return (await client.query(command)).rows as Record<string, string>[];
  } finally {
    await client.end();
  }
}

describe('the API behind PgBouncer in transaction mode', () => {
  it('answers searches, pages, authors and writes concurrently, the same as directly', async () => {
    const paths = [
      '/quotes/search?q=life&limit=5',
      '/quotes/search?q=love%20and%20friendship&limit=10',
      `/quotes/search?q=work&limit=5&author=${encodeURIComponent('mark twian')}`,
      '/quotes?limit=20',
      '/authors',
    ];
    const requests = Array.from({ length: 40 }, (_, i) => paths[i % paths.length]!);
    const answers = await Promise.all(requests.map((path) => getJson(`${pooled.url}${path}`)));
    expect(answers.map((a) => a.status)).toEqual(requests.map(() => 200));
    for (const path of paths) {
      const viaPooler = answers[requests.indexOf(path)]!.body;
      expect(viaPooler, path).toEqual((await getJson(`${direct.url}${path}`)).body);
      expect(Array.isArray(viaPooler) ? viaPooler.length : Object.keys(viaPooler).length, path).toBeGreaterThan(0);
    }
    const created = await getJson(`${pooled.url}/quotes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ quote: 'A pooled connection is a borrowed one.', author: 'Test Author' }),
    });
    expect(created.status).toBe(201);
    expect((await getJson(`${direct.url}/quotes/${created.body.id}`)).body.author).toBe('Test Author');
  });

  it('went through the pooler on one server connection, with the statement limit set by connect_query', async () => {
    const [stats] = (await adminRows('SHOW STATS')).filter((row) => row.database !== 'pgbouncer');
    expect(Number(stats!.total_xact_count)).toBeGreaterThan(40);
    const pools = (await adminRows('SHOW POOLS')).filter((row) => row.database !== 'pgbouncer');
    const servers = pools.reduce((sum, row) => sum + Number(row.sv_active) + Number(row.sv_idle) + Number(row.sv_used), 0);
    expect(servers).toBe(1);
    const { rows } = await pooled.pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
    expect(rows[0]!.statement_timeout).toBe(`${POOLED_STATEMENT_TIMEOUT_MS / 1000}s`);
  });
});
