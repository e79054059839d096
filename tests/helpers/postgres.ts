import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../bin/dev/embedded-postgres.js';

/**
 * The database a test file talks to through plain `pg`. By default PGlite behind the wire
 * protocol (what CI runs); with QCTL_TEST_DATABASE_URL set to a superuser URL of a real
 * PostgreSQL + pgvector server on 127.0.0.1, a fresh database on that server instead, owned
 * by a fresh role without superuser (the way a managed database is set up), with the
 * extensions created by the superuser.
 */
export interface TestPostgres {
  kind: 'pglite' | 'server';
  /** Connects as the database owner (PGlite: as its only user, a superuser). */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Runs SQL (one or more statements) as a superuser in this database; the last statement's rows. */
  admin<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  stop(): Promise<void>;
}

/** The name the test files import. */
export type EmbeddedPostgres = TestPostgres;

export interface TestPostgresOptions {
  /**
   * Create the extensions as the superuser up front (default true). With false the database
   * has none, and on PGlite the owner is then a role without superuser too, so a test can see
   * what `migrate` does when it must create them itself.
   */
  extensions?: boolean;
}

export const TEST_DATABASE_URL_VARIABLE = 'QCTL_TEST_DATABASE_URL';

/** One per test file (beforeAll/afterAll): PGlite takes ~5 s to start, a server database ~0.5 s. */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const serverUrl = process.env[TEST_DATABASE_URL_VARIABLE];
  return serverUrl ? startServerDatabase(serverUrl, options) : startPglite(options);
}

/** A `pg` pool against the test database; close it before stopping the database. */
export function testPool(database: TestPostgres, max = 4): pg.Pool {
  return new pg.Pool({ connectionString: database.url, max });
}

async function startPglite(options: TestPostgresOptions): Promise<TestPostgres> {
  const embedded = await startEmbeddedPostgres();
  const url = new URL(embedded.url);
  // PGlite is one session shared by every connection: a restricted owner is that session's role.
  const restricted = options.extensions === false;
  if (restricted) {
    await embedded.db.exec(`CREATE ROLE app LOGIN NOSUPERUSER;
      GRANT CREATE ON DATABASE postgres TO app;
      GRANT ALL ON SCHEMA public TO app;
      SET ROLE app;`);
  }
  return {
    kind: 'pglite',
    url: embedded.url,
    host: embedded.host,
    port: embedded.port,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    async admin<T>(sql: string) {
      if (restricted) await embedded.db.exec('RESET ROLE');
      try {
        const results = await embedded.db.exec(sql);
        return (results[results.length - 1]?.rows ?? []) as T[];
      } finally {
        if (restricted) await embedded.db.exec('SET ROLE app');
      }
    },
    stop: () => embedded.stop(),
  };
}

/** A fresh database on the server at `serverUrl` (a superuser URL on this machine), owned by a fresh role; dropped by stop(). */
export async function startServerDatabase(serverUrl: string, options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const superuser = new URL(serverUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(superuser.hostname)) {
    throw new Error(`${TEST_DATABASE_URL_VARIABLE} must point at a server on this machine (127.0.0.1), got ${superuser.hostname}`);
  }
  const name = `qctl_test_${randomBytes(6).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  const server = new pg.Client({ connectionString: serverUrl });
  await server.connect();
  try {
    await server.query(`CREATE ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${password}'`);
    await server.query(`CREATE DATABASE ${name} OWNER ${name}`);
  } finally {
    await server.end();
  }
  const inDatabase = (url: URL) => {
    const copy = new URL(url);
    copy.pathname = `/${name}`;
    return copy;
  };
  const adminUrl = inDatabase(superuser).toString();
  const admin = async <T>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      const result = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(result) ? result[result.length - 1]!.rows : result.rows) as T[];
    } finally {
      await client.end();
    }
  };
  if (options.extensions !== false) await admin('CREATE EXTENSION vector; CREATE EXTENSION pg_trgm');
  const owner = inDatabase(superuser);
  owner.username = name;
  owner.password = password;
  let stopped = false;
  return {
    kind: 'server',
    url: owner.toString(),
    host: superuser.hostname,
    port: Number(superuser.port || 5432),
    user: name,
    password,
    admin,
    async stop() {
      if (stopped) return;
      stopped = true;
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.query(`DROP ROLE IF EXISTS ${name}`);
      } finally {
        await client.end();
      }
    },
  };
}
