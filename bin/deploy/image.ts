import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { JobError, usageError } from '../cli/errors.js';

/**
 * Image tags and builds. Tags are content-addressed: the git commit, plus a hash of the
 * uncommitted changes when the tree is dirty, never `latest`, so a cluster never runs a stale
 * image under a name it already has cached.
 */
export const IMAGE_NAME = 'quote-api';
export const BUILDERS = ['docker', 'podman', 'nerdctl'] as const;
export type Builder = (typeof BUILDERS)[number];

/** Finds an executable on PATH without running it. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The builder `up` uses: the one the user forced, else the first on PATH whose engine answers. */
export type BuilderChoice = {
  builder: Builder;
  /** Its engine answered `<builder> info` (or it was not probed: --dry-run plans with it either way). */
  works: boolean;
  /** Why this one, for the user: forced, the only one, or others skipped and why. */
  reason: string;
  /** The first line of the failed `info` when it does not work. */
  failure?: string;
};

/** The first installed builder, without running anything (for plans that only print commands). */
export function installedBuilder(): Builder | undefined {
  return BUILDERS.find((b) => onPath(b) !== undefined);
}

function firstLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? ''
  );
}

/** Runs `<builder> info`: a client on PATH whose daemon is down fails here, not halfway through a build. */
export async function probeBuilder(builder: Builder): Promise<{ works: boolean; failure?: string }> {
  const info = await execa(builder, ['info'], { reject: false, timeout: 15_000 });
  if (info.exitCode === 0) return { works: true };
  const failure =
    firstLine(String(info.stderr || info.stdout || '')) || (info.timedOut ? 'no answer within 15 s' : `exit ${info.exitCode ?? '?'}`);
  return { works: false, failure };
}

/**
 * Picks the image builder. `--builder NAME` forces one (it must be on PATH); otherwise each
 * installed builder is probed in order (docker, podman, nerdctl) and the first whose engine
 * answers wins, so a docker client without a daemon no longer shadows a working podman.
 * Undefined when none is installed.
 */
export async function chooseBuilder(requested?: string): Promise<BuilderChoice | undefined> {
  if (requested !== undefined) {
    const forced = BUILDERS.find((b) => b === requested);
    if (!forced) throw usageError(`--builder ${requested} is not a builder qctl knows: use ${BUILDERS.join(', ')}`);
    if (!onPath(forced)) throw usageError(`--builder ${forced}: ${forced} is not on PATH; install it or choose another --builder`);
    const probe = await probeBuilder(forced);
    return { builder: forced, ...probe, reason: `${forced} (chosen with --builder)` };
  }
  const installed = BUILDERS.filter((b) => onPath(b) !== undefined);
  const skipped: string[] = [];
  for (const builder of installed) {
    const probe = await probeBuilder(builder);
    if (probe.works) {
      const reason = skipped.length ? `${builder} (${skipped.join('; ')})` : builder;
      return { builder, works: true, reason };
    }
    skipped.push(`${builder} is installed but \`${builder} info\` failed: ${probe.failure}`);
  }
  if (installed.length === 0) return undefined;
  return { builder: installed[0]!, works: false, reason: skipped.join('; '), failure: skipped[0] };
}

export async function contentTag(root: string): Promise<string> {
  const git = (args: string[]) => execa('git', args, { cwd: root, reject: false });
  const head = await git(['rev-parse', '--short=12', 'HEAD']);
  if (head.exitCode !== 0)
    throw usageError(`cannot compute the image tag: ${root} is not a git repository with a commit; commit once or pass --image REF`);
  const status = await git(['status', '--porcelain', '--untracked-files=all']);
  if (!status.stdout.trim()) return head.stdout.trim();
  // Dirty tree: hash the diff against HEAD plus the content of untracked files.
  const hash = createHash('sha256');
  hash.update((await git(['diff', 'HEAD', '--binary'])).stdout);
  for (const line of status.stdout.split('\n')) {
    if (!line.startsWith('?? ')) continue;
    const file = line.slice(3);
    hash.update(file);
    try {
      hash.update(readFileSync(join(root, file)));
    } catch {
      /* vanished or a directory */
    }
  }
  return `${head.stdout.trim()}-dirty-${hash.digest('hex').slice(0, 8)}`;
}

export async function buildImage(builder: Builder, ref: string, root: string, onLine?: (line: string) => void): Promise<void> {
  const child = execa(builder, ['build', '-t', ref, '-f', 'Dockerfile', '.'], { cwd: root, reject: false, all: true });
  child.all?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) onLine?.(line.trim());
  });
  const result = await child;
  if (result.exitCode !== 0) {
    const tail = String(result.all ?? '')
      .trim()
      .split('\n')
      .slice(-10)
      .join('\n  ');
    throw new JobError(`${builder} build failed (exit ${result.exitCode}):\n  ${tail}`);
  }
}

export async function imageExists(builder: Builder, ref: string): Promise<boolean> {
  const result = await execa(builder, ['image', 'inspect', ref], { reject: false });
  return result.exitCode === 0;
}
