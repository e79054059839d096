import { constants } from 'node:fs';
import { access, open, readdir, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A new PGlite data directory holds ~40 MB before any quote; the bundled seed adds ~40 MB more. */
export const FIRST_START_FREE_BYTES = 100 * 1024 * 1024;
/** Below this an existing database cannot even write its start-up checkpoint. */
export const RESTART_FREE_BYTES = 1024 * 1024;

// PGlite's file system layer (Emscripten) throws { name: 'ErrnoError', errno } with WASI numbers.
const WASI_ERRNO: Record<number, string> = {
  2: 'EACCES',
  63: 'EPERM',
  69: 'EROFS',
  51: 'ENOSPC',
  19: 'EDQUOT',
  44: 'ENOENT',
  54: 'ENOTDIR',
  31: 'EISDIR',
  29: 'EIO',
};

/** The errno code an error carries: a Node code, a PGlite ErrnoError number, or Postgres' words. */
export function errnoCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (e.code === '53100') return 'ENOSPC'; // Postgres disk_full
  if (typeof e.errno === 'number' && e.name === 'ErrnoError') return WASI_ERRNO[e.errno] ?? `errno ${e.errno}`;
  if (typeof e.message === 'string') {
    if (/no space left on device/i.test(e.message)) return 'ENOSPC';
    if (/read-only file system/i.test(e.message)) return 'EROFS';
    if (/permission denied/i.test(e.message)) return 'EACCES';
  }
  return undefined;
}

/** One line for any thrown value: PGlite throws objects that are not Errors ("[object Object]"). */
export function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const line = error.message.split('\n')[0]!;
    return typeof code === 'string' && !line.includes(code) ? `${line} (${code})` : line;
  }
  const code = errnoCode(error);
  if (code) return `${code} from the PGlite file system`;
  if (error && typeof error === 'object') {
    try {
      return JSON.stringify(error).slice(0, 200);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  return String(error);
}

export type DataDirProblem =
  | { kind: 'permission'; path: string; code: string; ownerUid?: number }
  | { kind: 'read-only'; path: string; code: string }
  | { kind: 'no-space'; path: string; freeBytes?: number };

/**
 * Why a data directory cannot be used, asked of the real file system (root ignores mode bits,
 * so only what actually fails counts): every entry readable, the directory writable, the disk
 * not full. Undefined when none of these is the reason.
 */
export async function findDataDirProblem(dataDir: string, cause?: unknown): Promise<DataDirProblem | undefined> {
  const existing = await stat(dataDir).catch(() => undefined);
  const base = existing ? dataDir : dirname(dataDir);
  if (errnoCode(cause) === 'ENOSPC' || errnoCode(cause) === 'EDQUOT')
    return { kind: 'no-space', path: base, freeBytes: await freeBytes(base) };
  const unreadable = existing ? await firstUnreadable(dataDir) : undefined;
  if (unreadable) return await accessProblem(dataDir, unreadable.path, unreadable.code);
  const unwritable = await writeCheck(base);
  if (unwritable) {
    if (unwritable === 'ENOSPC' || unwritable === 'EDQUOT') return { kind: 'no-space', path: base, freeBytes: await freeBytes(base) };
    return await accessProblem(dataDir, base, unwritable);
  }
  return undefined;
}

/** Free bytes for an unprivileged writer where `path` lives; undefined when unknown. */
export async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const fs = await statfs(path);
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

async function accessProblem(dataDir: string, path: string, code: string): Promise<DataDirProblem> {
  if (code === 'EROFS') return { kind: 'read-only', path, code };
  const owner = await stat(dataDir).catch(() => undefined);
  const mine = !owner || typeof process.getuid !== 'function' || owner.uid === process.getuid();
  // Our own directory we may not write to is read-only by its mode; someone else's is theirs.
  if (mine && (await canRead(path))) return { kind: 'read-only', path, code };
  return { kind: 'permission', path, code, ...(mine ? {} : { ownerUid: owner!.uid }) };
}

async function canRead(path: string): Promise<boolean> {
  return access(path, constants.R_OK).then(
    () => true,
    () => false,
  );
}

/** The first entry under `dir` that cannot be read (files) or entered (directories). */
async function firstUnreadable(dir: string): Promise<{ path: string; code: string } | undefined> {
  let entries;
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    return { path: dir, code: (error as NodeJS.ErrnoException).code ?? 'EACCES' };
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = await firstUnreadable(path);
      if (found) return found;
    } else if (entry.isFile()) {
      try {
        await access(path, constants.R_OK | constants.W_OK);
      } catch (error) {
        return { path, code: (error as NodeJS.ErrnoException).code ?? 'EACCES' };
      }
    }
  }
  return undefined;
}

/** Writes and removes a small file in `dir`; the errno code when that fails. */
async function writeCheck(dir: string): Promise<string | undefined> {
  const probe = join(dir, `.qctl-write-check-${process.pid}`);
  try {
    const handle = await open(probe, 'w');
    try {
      await handle.write(Buffer.alloc(64 * 1024));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EIO';
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? 'unknown' : `${Math.floor(bytes / (1024 * 1024))} MB`;
}

/**
 * The one-line message for a problem, with its fix. None of them advises moving or deleting
 * the data: it is intact, only unreachable.
 */
export function formatDataDirProblem(dataDir: string, problem: DataDirProblem, firstStart: boolean): string {
  const intact = firstStart ? '' : '; the data in it is intact, keep it';
  switch (problem.kind) {
    case 'no-space':
      return (
        `cannot ${firstStart ? 'create' : 'open'} the database in ${dataDir}: no space left on the device (ENOSPC, ${mb(problem.freeBytes)} free in ${problem.path}): ` +
        `free some space${firstStart ? ` (a new database with the bundled quotes needs about ${mb(FIRST_START_FREE_BYTES)})` : ''} or use a directory on another disk (--dev-dir DIR), then run again${intact}`
      );
    case 'read-only':
      return problem.code === 'EROFS'
        ? `cannot open the database in ${dataDir}: ${problem.path} is on a read-only file system (EROFS): remount it read-write, or copy the directory to a writable disk and pass --dev-dir, then run again${intact}`
        : `cannot open the database in ${dataDir}: ${problem.path} is not writable (${problem.code}, read-only by its mode): make it writable (chmod -R u+rwX ${dataDir}), then run again${intact}`;
    case 'permission': {
      const owner = problem.ownerUid === undefined ? '' : ` it belongs to uid ${problem.ownerUid}, not you (uid ${process.getuid?.()});`;
      return (
        `cannot open the database in ${dataDir}: permission denied on ${problem.path} (${problem.code});${owner} ` +
        `run qctl as its owner, or take it over (sudo chown -R $(id -u):$(id -g) ${dataDir}), then run again${intact}`
      );
    }
  }
}

/** For a first start that failed: what PGlite began in a directory it created holds nothing yet. */
export async function removeUnfinishedDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
}
