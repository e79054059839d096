import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../bin/dev/embedded-postgres.js';

export type { EmbeddedPostgres };

/**
 * Real Postgres + pgvector for tests: PGlite behind the wire protocol, so code under test
 * uses plain `pg`. Starting takes ~5 s, so share one per test file (beforeAll/afterAll).
 */
export async function startTestPostgres(): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres();
}

/** A `pg` pool against an embedded server; close it before stopping the server. */
export function testPool(database: EmbeddedPostgres, max = 4): pg.Pool {
  return new pg.Pool({ connectionString: database.url, max });
}
