import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Where `qctl dev` keeps its database, relative to the working directory (git-ignored). */
export const DEFAULT_DEV_DIR = '.qctl/dev';

export interface DevPaths {
  dir: string;
  /** PGlite's data directory. */
  dataDir: string;
  /** Present while a qctl process holds the database open: who, and where it listens. */
  stateFile: string;
}

export interface DevState {
  pid: number;
  owner: 'dev' | 'seed';
  /** postgres:// URL of the embedded server while it runs. */
  databaseUrl: string;
  /** The API's base URL (qctl dev only). */
  apiUrl?: string;
  startedAt: string;
}

export function devPaths(dir = DEFAULT_DEV_DIR, cwd = process.cwd()): DevPaths {
  const absolute = resolve(cwd, dir);
  return { dir: absolute, dataDir: join(absolute, 'pgdata'), stateFile: join(absolute, 'state.json') };
}

/** The state of a live holder of the dev database, or undefined (none, or it died without cleaning up). */
export async function readLiveDevState(paths: DevPaths): Promise<DevState | undefined> {
  let state: DevState;
  try {
    state = JSON.parse(await readFile(paths.stateFile, 'utf8')) as DevState;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(state.pid) || !isAlive(state.pid) || state.pid === process.pid) return undefined;
  return state;
}

export async function writeDevState(paths: DevPaths, state: DevState): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

export async function removeDevState(paths: DevPaths): Promise<void> {
  await rm(paths.stateFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
