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

export function detectBuilder(): Builder | undefined {
  return BUILDERS.find((b) => onPath(b) !== undefined);
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
