import { QctlError } from '../cli/errors.js';
import { devPaths, readLiveDevState, removeDevState, writeDevState } from './dev-state.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface LocalDatabase {
  url: string;
  /** For messages: where the data lives and who serves it. */
  label: string;
  /** Closes the database if we opened it; leaves a running `qctl dev` alone. */
  release(): Promise<void>;
}

/**
 * The database of `qctl dev` for commands given no DATABASE_URL. PGlite is single-process,
 * so when `qctl dev` is running we connect to its server; otherwise we open the data
 * directory ourselves (and mark it taken, so a `qctl dev` started meanwhile says so).
 */
export async function openLocalDevDatabase(dir?: string): Promise<LocalDatabase> {
  const paths = devPaths(dir);
  const live = await readLiveDevState(paths);
  if (live?.owner === 'dev') {
    return { url: live.databaseUrl, label: `the running qctl dev database (pid ${live.pid})`, release: async () => {} };
  }
  if (live) {
    throw new QctlError(`the dev database in ${paths.dir} is in use by another qctl ${live.owner} (pid ${live.pid}): wait for it to finish`);
  }
  const database = await startEmbeddedPostgres({ dataDir: paths.dataDir });
  await writeDevState(paths, { pid: process.pid, owner: 'seed', databaseUrl: database.url, startedAt: new Date().toISOString() });
  return {
    url: database.url,
    label: `the qctl dev database in ${paths.dataDir}`,
    async release() {
      await database.stop();
      await removeDevState(paths);
    },
  };
}
