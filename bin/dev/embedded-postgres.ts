import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { JobError } from '../cli/errors.js';
import {
  FIRST_START_FREE_BYTES,
  RESTART_FREE_BYTES,
  describeCause,
  findDataDirProblem,
  formatDataDirProblem,
  freeBytes,
  removeUnfinishedDataDir,
} from './data-dir-problem.js';
import { discardTemplate, readTemplate, saveTemplate, templateFile } from './pglite-template.js';

export interface EmbeddedPostgresOptions {
  /** Directory that persists the data; omit for an in-memory database. */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxConnections?: number;
  /** Where a new cluster's template is kept (default node_modules/.cache/qctl/, see pglite-template.ts). */
  templateDir?: string;
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
  const firstStart = options.dataDir ? !(await stat(options.dataDir).catch(() => undefined)) : false;
  if (options.dataDir) await refuseFullDisk(options.dataDir, firstStart);
  const newCluster = !options.dataDir || firstStart;
  let db: PGlite;
  try {
    db = await openPglite(options.dataDir, newCluster ? templateFile(options.templateDir) : undefined);
  } catch (error) {
    if (!options.dataDir) throw error;
    throw await openFailure(options.dataDir, error, firstStart);
  }
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 100,
  });
  keepExtendedQueriesTogether(server);
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

/**
 * A new cluster starts from the template of a fresh one when there is one (~1 s of CPU instead
 * of initdb's ~5.5 s) and leaves one behind when there is not; an existing data directory
 * opens as it is (`template` undefined).
 */
async function openPglite(dataDir: string | undefined, template: string | undefined): Promise<PGlite> {
  const options = { ...(dataDir ? { dataDir } : {}), extensions: { vector, pg_trgm } };
  if (!template) return PGlite.create(options);
  const loadDataDir = await readTemplate(template);
  if (loadDataDir) {
    try {
      return await PGlite.create({ ...options, loadDataDir });
    } catch {
      // A template PGlite refuses (damaged, or made by a build it cannot read): initdb below,
      // which reports a real problem of the data directory the usual way, and a new template.
      await discardTemplate(template);
      if (dataDir) await removeUnfinishedDataDir(dataDir);
    }
  }
  const db = await PGlite.create(options);
  await saveTemplate(db, template);
  return db;
}

/**
 * A disk too full for the database fails at once with the fix: PGlite would otherwise fail
 * deep inside Postgres (or leave a half-created directory behind) after a long start.
 */
async function refuseFullDisk(dataDir: string, firstStart: boolean): Promise<void> {
  const free = await freeBytes(firstStart ? dirname(dataDir) : dataDir);
  if (free === undefined || free >= (firstStart ? FIRST_START_FREE_BYTES : RESTART_FREE_BYTES)) return;
  throw new JobError(
    formatDataDirProblem(dataDir, { kind: 'no-space', path: firstStart ? dirname(dataDir) : dataDir, freeBytes: free }, firstStart),
  );
}

/**
 * Why PGlite could not open `dataDir`, told apart: permission, read-only, no space (the files
 * are intact: never advise moving them), or really damaged (Postgres refuses the files).
 */
async function openFailure(dataDir: string, error: unknown, firstStart: boolean): Promise<JobError> {
  const problem = await findDataDirProblem(dataDir, error);
  // A directory this start created holds nothing of the user's: leave no half-made database.
  if (firstStart) await removeUnfinishedDataDir(dataDir);
  if (problem) return new JobError(formatDataDirProblem(dataDir, problem, firstStart));
  return new JobError(
    `cannot open the database in ${dataDir} (${describeCause(error)}): it is damaged or not a PGlite data directory; ` +
      `move it aside (mv ${dataDir} ${dataDir}.broken) and run again to start with a fresh one, or restore a backup of it`,
  );
}

function listeningPort(server: PGLiteSocketServer, requested: number): number {
  // The server keeps its net.Server private; with port 0 the OS picked one and we read it back.
  const netServer = (server as unknown as { server?: { address(): { port: number } | string | null } }).server;
  const address = netServer?.address();
  if (address && typeof address === 'object') return address.port;
  if (requested) return requested;
  throw new Error('embedded Postgres started but its port could not be read');
}

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueueInternals {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

// Extended-query messages (Parse, Bind, Describe, Execute, Close, Flush) that belong to a
// sequence ending with Sync ('S'). A simple Query ('Q') stands alone.
const EXTENDED_QUERY_MESSAGES = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));

/**
 * pglite-socket (0.2.x) feeds one backend with protocol messages from every connection in
 * arrival order, keeping a connection's messages together only inside a transaction. A
 * parameterized query is several messages (Parse, Bind, Execute, Sync); when a large Bind
 * (a batch of vectors) arrives in several TCP chunks, another connection's query can slip
 * in between and the Bind meets the wrong unnamed statement ("bind message supplies 4
 * parameters, but prepared statement requires 3"). This keeps each connection's sequence
 * together until its Sync, the way a real server's per-connection backend would.
 */
function keepExtendedQueriesTogether(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue?: QueryQueueInternals }).queryQueue;
  if (!queue || !Array.isArray(queue.queue) || typeof queue.processQueue !== 'function') return;
  let sequenceOpen = false;

  queue.processQueue = async function processQueue(this: QueryQueueInternals): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const owner = this.lastHandlerId !== null && (sequenceOpen || this.db.isInTransaction()) ? this.lastHandlerId : null;
        const index = owner === null ? 0 : this.queue.findIndex((item) => item.handlerId === owner);
        // The owner's next message has not arrived yet; enqueue() runs us again when it does.
        if (index === -1) break;
        const item = this.queue.splice(index, 1)[0]!;
        this.lastHandlerId = item.handlerId;
        sequenceOpen = EXTENDED_QUERY_MESSAGES.has(item.message[0]!);
        try {
          let bytes = 0;
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
          item.resolve(bytes);
        } catch (error) {
          sequenceOpen = false;
          item.reject(error);
        }
        // Every step above settles in microtasks: without a turn of the event loop here a long
        // queue (an overloaded `qctl dev`) would run to its end before any socket is read, and
        // /healthz, sharing this process, would wait seconds. One macrotask per message lets it in.
        if (this.queue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.processing = false;
    }
  }.bind(queue);

  const clearTransaction = queue.clearTransactionIfNeeded.bind(queue);
  queue.clearTransactionIfNeeded = async (handlerId: number): Promise<void> => {
    await clearTransaction(handlerId);
    // A connection that closed mid-sequence must not hold the others back.
    if (queue.lastHandlerId === handlerId && sequenceOpen) {
      sequenceOpen = false;
      await queue.processQueue();
    }
  };
}
