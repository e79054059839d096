import { SeedError } from '../../app/seed/errors.js';
import { InfraUsageError } from '../../infra/errors.js';
import { safeForTerminal } from './safe-text.js';

/**
 * Every way a qctl command ends other than success is one of these, thrown up to `main()`,
 * which is the only place that prints an error and picks the exit code (see `exitWithError`).
 * A message is one line that names the problem and the fix.
 */
export class QctlError extends Error {
  readonly exitCode: number;
  /** Prefer the subclasses below; a bare QctlError is a usage error unless told otherwise. */
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'QctlError';
    this.exitCode = exitCode;
  }
}

/** Bad usage or an unreachable prerequisite: nothing ran. Exit 2. */
export class UsageError extends QctlError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** The job ran and failed (a build, an apply, a wait, a validation). Exit 1. */
export class JobError extends QctlError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'JobError';
  }
}

/**
 * The command has already said why it failed (validation issues, a breached SLO, what `diff`
 * would change): exit with `code` and print nothing more. As changesets' ExitError.
 */
export class ExitError extends QctlError {
  constructor(code: number) {
    super('', code);
    this.name = 'ExitError';
  }
}

export const usageError = (message: string): UsageError => new UsageError(message);

/** For commands that report a result code: 0 returns, anything else ends the command through main(). */
export function exitWith(code: number): void {
  if (code !== 0) throw new ExitError(code);
}

/**
 * The one error-to-exit mapping: prints what the user needs and returns the exit code.
 * Messages often quote outside text (a server's answer, a URL): every one passes safeForTerminal.
 * infra/ and app/ cannot import bin/, so their errors are recognised here: InfraUsageError
 * exits 2, SeedError by its kind (usage 2, failed 1). A filesystem error on a path (an
 * unwritable or dangling --out, a directory where a file belongs, a full disk) is the user's to
 * fix, not a bug: exit 2 with the path, the cause and the fix. Anything else
 * is a bug in qctl: one line asking for a report, the stack only with QCTL_DEBUG=1.
 */
export function exitWithError(
  error: unknown,
  stderr: { write(text: string): unknown } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (error instanceof QctlError) {
    // Usage errors (exit 2) are one line by contract; a job's failure may list details below it.
    if (error.message !== '') stderr.write(`qctl: ${safeForTerminal(error.message, { oneLine: error.exitCode === 2 })}\n`);
    return error.exitCode;
  }
  if (error instanceof InfraUsageError || error instanceof SeedError) {
    const usage = !(error instanceof SeedError && error.kind === 'failed');
    stderr.write(`qctl: ${safeForTerminal(error.message, { oneLine: usage })}\n`);
    return usage ? 2 : 1;
  }
  const pathProblem = filesystemProblem(error);
  if (pathProblem !== undefined) {
    stderr.write(`qctl: ${safeForTerminal(pathProblem, { oneLine: true })}\n`);
    return 2;
  }
  const debug = env.QCTL_DEBUG === '1';
  const message = safeForTerminal(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  stderr.write(`qctl: internal error: ${message}\n`);
  if (debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  stderr.write(
    `This is a bug in qctl: please report it with the command you ran${debug ? ' and the stack trace above' : ' (QCTL_DEBUG=1 shows the stack trace)'}.\n`,
  );
  return 1;
}

/** What to do about a filesystem error, by errno code. */
const FILESYSTEM_FIXES: Record<string, { cause: string; fix: string }> = {
  EACCES: { cause: 'permission denied', fix: 'choose a path you may write, or change its owner or mode' },
  EPERM: { cause: 'operation not permitted', fix: 'choose a path you may write, or change its owner or mode' },
  EROFS: { cause: 'read-only file system', fix: 'choose a path on a writable file system' },
  ENOSPC: { cause: 'no space left on the device', fix: 'free some space there, or choose a path on another disk' },
  EDQUOT: { cause: 'disk quota exceeded', fix: 'free some space there, or choose a path on another disk' },
  ENOENT: { cause: 'no such file or directory (or a symbolic link to nowhere)', fix: 'create its parent directory or fix the path' },
  ENOTDIR: { cause: 'a part of the path is a file, not a directory', fix: 'fix the path or move that file aside' },
  EISDIR: { cause: 'it is a directory where a file is expected', fix: 'give a file path' },
  EEXIST: { cause: 'it already exists', fix: 'remove it or choose another path' },
  ELOOP: { cause: 'too many symbolic links (a link loop)', fix: 'fix the link or choose another path' },
  ENAMETOOLONG: { cause: 'the name is too long', fix: 'choose a shorter path' },
  EMFILE: { cause: 'too many open files', fix: 'raise the open-file limit (ulimit -n) and run again' },
};

/** One line for a Node filesystem error that carries a path; undefined for any other error. */
export function filesystemProblem(error: unknown): string | undefined {
  const errno = error as NodeJS.ErrnoException | null;
  if (!(error instanceof Error) || typeof errno?.code !== 'string' || typeof errno.path !== 'string') return undefined;
  const known = Object.hasOwn(FILESYSTEM_FIXES, errno.code) ? FILESYSTEM_FIXES[errno.code] : undefined;
  if (!known) return undefined;
  const action = errno.syscall ? ` (${errno.syscall})` : '';
  const dest = (error as { dest?: unknown }).dest;
  const other = typeof dest === 'string' ? ` -> ${dest}` : '';
  return `cannot use ${errno.path}${other}${action}: ${known.cause} (${errno.code}): ${known.fix}`;
}
