import { execa, type Result } from 'execa';
import { repoPath } from './quotes-fixture.js';

/** A qctl run: await it for the result, or signal it while it runs (Ctrl-C is kill('SIGINT')). */
export type RunningQctl = Promise<Result> & { kill(signal?: NodeJS.Signals): boolean };

/** Runs the real `qctl` entry point as a child process, the way users and CI run it. */
export function runQctl(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {},
): RunningQctl {
  return execa('node', [repoPath('bin/qctl.mjs'), ...args], {
    cwd: options.cwd ?? repoPath(),
    env: { CI: 'true', ...options.env },
    input: options.input,
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    stripFinalNewline: false,
  });
}
