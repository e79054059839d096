import { existsSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { usageError } from '../cli/errors.js';

/** Where `qctl dev` keeps its database, relative to the working directory (git-ignored). */
export const DEFAULT_DEV_DIR = '.qctl/dev';

export interface DevPaths {
  dir: string;
  /** PGlite's data directory. */
  dataDir: string;
  /**
   * The lock: present while a qctl process holds the database open, and created atomically
   * (O_EXCL semantics), so two processes can never both believe they own the directory.
   */
  stateFile: string;
  /** Present while the first-start seed of `qctl dev` has not finished (see dev-server.ts). */
  firstSeedFile: string;
}

export interface DevState {
  pid: number;
  owner: 'dev' | 'seed';
  /** postgres:// URL of the embedded server once it runs. */
  databaseUrl?: string;
  /** The API's base URL (qctl dev only, once it serves). */
  apiUrl?: string;
  startedAt: string;
}

export function devPaths(dir = DEFAULT_DEV_DIR, cwd = process.cwd()): DevPaths {
  const absolute = resolve(cwd, dir);
  return {
    dir: absolute,
    dataDir: join(absolute, 'pgdata'),
    stateFile: join(absolute, 'state.json'),
    firstSeedFile: join(absolute, 'first-seed.json'),
  };
}

/**
 * Creates the dev directory, or says in one line why it cannot be used (a file in the way,
 * no permission). Nothing slow has started yet when this fails.
 */
export async function ensureDevDir(paths: DevPaths): Promise<void> {
  const fix = 'pass a directory you can write to, e.g. --dev-dir .qctl/dev';
  try {
    await makeDirectories(paths.dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST' || code === 'ENOTDIR') throw usageError(`--dev-dir ${paths.dir}: a file is in the way (${code}); ${fix}`);
    throw usageError(`--dev-dir ${paths.dir}: cannot create it (${code}); ${fix}`);
  }
  if (existsSync(paths.dataDir) && !statSync(paths.dataDir).isDirectory()) {
    throw usageError(
      `${paths.dataDir} is a file, not a database directory: move it aside (mv ${paths.dataDir} ${paths.dataDir}.bak) and run again`,
    );
  }
  try {
    await writeFile(join(paths.dir, `.write-check-${process.pid}`), '');
    await rm(join(paths.dir, `.write-check-${process.pid}`), { force: true });
  } catch (error) {
    throw usageError(`--dev-dir ${paths.dir}: cannot write there (${(error as NodeJS.ErrnoException).code ?? 'error'}); ${fix}`);
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir never returns under some special
 * file systems (e.g. /proc), where this fails with a plain error instead.
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; !existsSync(current); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const path of missing) {
    await mkdir(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST' || !statSync(path).isDirectory()) throw error;
    });
  }
  if (!statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
}

export interface DevLock {
  /** Rewrites the lock's state (e.g. the URLs once they exist); only while we own it. */
  update(patch: Partial<Omit<DevState, 'pid' | 'owner'>>): Promise<void>;
  /** Removes the lock if (and only if) this process still owns it. Idempotent. */
  release(): Promise<void>;
}

export type LockAttempt = { lock: DevLock } | { holder: DevState };

/**
 * Takes the dev directory's lock, or returns the live process that holds it. A lock left by
 * a process that died (kill -9, power loss) is taken over: its pid no longer runs.
 */
export async function acquireDevLock(paths: DevPaths, owner: DevState['owner']): Promise<LockAttempt> {
  await ensureDevDir(paths);
  const state: DevState = { pid: process.pid, owner, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusive(paths.stateFile, state)) return { lock: ownedLock(paths, state) };
    const raw = await readFile(paths.stateFile, 'utf8').catch(() => undefined);
    if (raw === undefined) continue; // released meanwhile: try again
    const holder = parseState(raw);
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) return { holder };
    await takeOverStale(paths.stateFile, raw);
  }
  throw usageError(`cannot take the lock ${paths.stateFile}: other qctl processes keep racing for it; run again`);
}

/** Writes the state to a private file, then links it into place: the lock never exists half-written. */
async function createExclusive(file: string, state: DevState): Promise<boolean> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    // Node's write errors (a full disk) carry no path: name the file, for the message.
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`).catch((error: NodeJS.ErrnoException) => {
      throw Object.assign(error, { path: error.path ?? temp });
    });
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * Moves a stale lock out of the way. The rename is atomic; if what we moved is not the stale
 * lock we judged (another process took over first and created its own), it goes back.
 */
async function takeOverStale(file: string, staleRaw: string): Promise<void> {
  const grave = `${file}.${process.pid}.stale`;
  try {
    await rename(file, grave);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readFile(grave, 'utf8').catch(() => undefined);
  if (moved !== undefined && moved !== staleRaw) await link(grave, file).catch(() => undefined);
  await unlink(grave).catch(() => undefined);
}

function ownedLock(paths: DevPaths, initial: DevState): DevLock {
  let state = initial;
  let released = false;
  const owned = (): boolean => {
    try {
      return parseState(readFileSync(paths.stateFile, 'utf8'))?.pid === process.pid;
    } catch {
      return false;
    }
  };
  // process.exit() (a second Ctrl-C) skips finally blocks: the lock must not outlive us.
  const onExit = (): void => {
    if (!released && owned()) unlinkSync(paths.stateFile);
  };
  process.on('exit', onExit);
  return {
    async update(patch) {
      if (released || !owned()) return;
      state = { ...state, ...patch };
      const temp = `${paths.stateFile}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
      await rename(temp, paths.stateFile);
    },
    async release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      if (owned()) await unlink(paths.stateFile).catch(() => undefined);
    },
  };
}

function parseState(raw: string): DevState | undefined {
  try {
    const state = JSON.parse(raw) as DevState;
    return Number.isInteger(state.pid) && state.pid > 0 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The state of the live holder of the lock, if any (for read-only questions such as "is dev running?"). */
export async function readLiveDevState(paths: DevPaths): Promise<DevState | undefined> {
  const raw = await readFile(paths.stateFile, 'utf8').catch(() => undefined);
  const state = raw === undefined ? undefined : parseState(raw);
  if (!state || state.pid === process.pid || !isAlive(state.pid)) return undefined;
  return state;
}

/** One line naming who holds the directory and how to get past it. */
export function describeHolder(paths: DevPaths, holder: DevState): string {
  return `the dev database in ${paths.dir} is in use by qctl ${holder.owner} (pid ${holder.pid}${holder.apiUrl ? `, ${holder.apiUrl}` : ''})`;
}

/**
 * What a second `qctl dev` needs while a first one holds the directory: another port alone
 * would only run into the lock, so the fix names both (or stopping the first one).
 */
export function secondDevHint(paths: DevPaths, holder: DevState, port: number): string {
  return `${describeHolder(paths, holder)}: stop it (kill ${holder.pid}), or start a second one with another port and another directory, e.g. --port ${port + 1} --dev-dir ${paths.dir}-${port + 1} (or --port ${port + 1} --ephemeral)`;
}

export function staleLockHint(paths: DevPaths, holder: DevState): string {
  return `if pid ${holder.pid} is not qctl, delete ${paths.stateFile}`;
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
