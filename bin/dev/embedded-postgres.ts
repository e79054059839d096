import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgresOptions {
  /** Directory that persists the data; omit for an in-memory database. */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  /** A postgres:// URL that plain `pg` connects to (user postgres, database postgres). */
  url: string;
  host: string;
  port: number;
  db: PGlite;
  stop(): Promise<void>;
}

/**
 * Postgres (PGlite, with pgvector and pg_trgm) behind the real wire protocol, so the app
 * talks to it through the same `pg` code path it uses against a production server.
 * The socket server serializes queries: never hold a transaction open on one connection
 * while waiting for another.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  // PGlite creates the data directory itself, but not its parents (.qctl/dev/pgdata on a fresh checkout).
  if (options.dataDir) await mkdir(dirname(options.dataDir), { recursive: true });
  const db = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    extensions: { vector, pg_trgm },
  });
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 100,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const port = listeningPort(server, options.port ?? 0);
  let stopped = false;
  return {
    url: `postgres://postgres:postgres@${host}:${port}/postgres`,
    host,
    port,
    db,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
    },
  };
}

function listeningPort(server: PGLiteSocketServer, requested: number): number {
  // The server keeps its net.Server private; with port 0 the OS picked one and we read it back.
  const netServer = (server as unknown as { server?: { address(): { port: number } | string | null } }).server;
  const address = netServer?.address();
  if (address && typeof address === 'object') return address.port;
  if (requested) return requested;
  throw new Error('embedded Postgres started but its port could not be read');
}
