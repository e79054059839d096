import { usageError } from '../cli/errors.js';
import {
  acquireDevLock,
  describeHolder,
  devPaths,
  ensureDevDir,
  readLiveDevState,
  staleLockHint,
  type DevPaths,
  type DevState,
} from './dev-state.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface LocalDatabase {
  url: string;
  /** For messages: where the data lives and who serves it. */
  label: string;
  /** Closes the database if we opened it; leaves a running `qctl dev` alone. */
  release(): Promise<void>;
}

// A `qctl dev` that is starting has its database server up within seconds.
const DEV_STARTING_WAIT_MS = 30_000;

/**
 * The database of `qctl dev` for commands given no DATABASE_URL. PGlite is single-process,
 * so when `qctl dev` is running we connect to its server; otherwise we take the directory's
 * lock and open the data directory ourselves. Another `qctl seed` holding it is refused at once.
 */
export async function openLocalDevDatabase(dir?: string): Promise<LocalDatabase> {
  const paths = devPaths(dir);
  await ensureDevDir(paths);
  const started = Date.now();
  for (;;) {
    const attempt = await acquireDevLock(paths, 'seed');
    if ('lock' in attempt) {
      try {
        const database = await startEmbeddedPostgres({ dataDir: paths.dataDir });
        await attempt.lock.update({ databaseUrl: database.url });
        return {
          url: database.url,
          label: `the qctl dev database in ${paths.dataDir}`,
          async release() {
            await database.stop();
            await attempt.lock.release();
          },
        };
      } catch (error) {
        await attempt.lock.release();
        throw error;
      }
    }
    const holder = await devServing(paths, attempt.holder, started);
    if (holder) {
      return { url: holder.databaseUrl!, label: `the running qctl dev database (pid ${holder.pid})`, release: async () => {} };
    }
  }
}

/**
 * A `qctl dev` holder that serves its database: use it (its server serializes our queries
 * with its own). One still starting is waited for; a `qctl seed` holder is refused.
 * Returns undefined when the holder went away meanwhile (the caller tries the lock again).
 */
async function devServing(paths: DevPaths, holder: DevState, started: number): Promise<DevState | undefined> {
  if (holder.owner !== 'dev') {
    throw usageError(`${describeHolder(paths, holder)}: wait for it to finish, then run again (${staleLockHint(paths, holder)})`);
  }
  if (holder.databaseUrl) return holder;
  if (Date.now() - started > DEV_STARTING_WAIT_MS) {
    throw usageError(`${describeHolder(paths, holder)} and it has not opened its database yet: wait until it is ready, then run again`);
  }
  await new Promise((r) => setTimeout(r, 250));
  const live = await readLiveDevState(paths);
  return live?.databaseUrl && live.owner === 'dev' ? live : undefined;
}
