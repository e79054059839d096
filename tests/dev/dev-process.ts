import { execSync } from 'node:child_process';
import { execa, type ResultPromise } from 'execa';
import { repoPath } from '../helpers/quotes-fixture.js';

export interface DevReady {
  url: string;
  page: string;
  api: string;
  metrics: string;
  databaseUrl: string;
  dataDir: string | null;
  cache: string;
  embeddings: string;
  seeded: { new: number; source: string; fallback: boolean } | null;
  startupMs: number;
}

export interface DevProcess {
  child: ResultPromise;
  ready: DevReady;
  stderr(): string;
}

/** Starts `qctl dev --output json` as a real child process and waits for its ready line. */
export async function startDevProcess(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 150_000,
): Promise<DevProcess> {
  const child = execa('node', [repoPath('bin/qctl.mjs'), 'dev', '--output', 'json', ...args], {
    cwd: repoPath(),
    env: { CI: 'true', DATABASE_URL: undefined, REDIS_URL: undefined, OPENAI_API_KEY: undefined, ...env },
    reject: false,
    buffer: false,
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await new Promise<DevReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qctl dev not ready within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as DevReady);
      }
    });
    void child.then((result) => {
      clearTimeout(timer);
      reject(new Error(`qctl dev exited with ${result.exitCode} before it was ready:\n${stderr}`));
    });
  });
  return { child, ready, stderr: () => stderr };
}

/** Every process below `pid` (children, grandchildren...). */
export function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execSync(`ps -o pid= --ppid ${pid}`, { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  const children = out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function commandOf(pid: number): string {
  try {
    return execSync(`ps -o args= -p ${pid}`, { encoding: 'utf8' }).trim();
  } catch {
    return '(gone)';
  }
}
