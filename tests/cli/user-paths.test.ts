import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitWithError, filesystemProblem } from '../../bin/cli/errors.js';
import { runQctl } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qctl-paths-'));
  await writeFile(join(dir, 'a-file'), 'x');
  await symlink(join(dir, 'nowhere', 'at-all'), join(dir, 'dangling'));
  await symlink(join(dir, 'loop-b'), join(dir, 'loop-a'));
  await symlink(join(dir, 'loop-a'), join(dir, 'loop-b'));
  await mkdir(join(dir, 'a-dir'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The real error Node raises for `action`. */
async function errnoOf(action: () => Promise<unknown>): Promise<unknown> {
  return action().then(
    () => expect.fail('the filesystem accepted it'),
    (error: unknown) => error,
  );
}

describe('a filesystem error on a path the user gave is exit 2 with the path and the fix, never "internal error"', () => {
  it('classifies real errno errors: dangling link, file in the path, directory for a file, link loop', async () => {
    const cases: [unknown, RegExp][] = [
      [await errnoOf(() => writeFile(join(dir, 'dangling'), 'x')), /\(ENOENT\): create its parent directory/],
      [await errnoOf(() => mkdir(join(dir, 'a-file', 'dev'), { recursive: true })), /not a directory \(ENOTDIR\): fix the path/],
      [await errnoOf(() => open(join(dir, 'a-dir'), 'w')), /a directory where a file is expected \(EISDIR\): give a file path/],
      [await errnoOf(() => writeFile(join(dir, 'loop-a'), 'x')), /link loop\) \(ELOOP\)/],
    ];
    for (const [error, message] of cases) {
      let stderr = '';
      const code = exitWithError(error, { write: (t: string) => (stderr += t) }, {});
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr).toContain(dir);
      expect(stderr).not.toMatch(/internal error|bug in qctl/);
    }
  });

  it('an error without a path (a real bug) still reads as internal', () => {
    expect(filesystemProblem(new TypeError('x is undefined'))).toBeUndefined();
    expect(filesystemProblem(Object.assign(new Error('spawn'), { code: 'ENOENT' }))).toBeUndefined();
  });

  for (const [name, out, message] of [
    ['dangling symbolic link', 'dangling', /cannot use .*dangling\/dev \(mkdir\): no such file or directory .*\(ENOENT\)/],
    ['a file where a directory belongs', 'a-file/sub', /cannot use .*a-file\/sub\/dev \(mkdir\): a part of the path is a file/],
  ] as const) {
    it(`synth --out to a ${name} (real qctl)`, async () => {
      const result = await runQctl(['synth', '--env', 'dev', '--out', join(dir, out)]);
      expect(result.exitCode, String(result.stderr)).toBe(2);
      expect(String(result.stderr)).toMatch(message);
      expect(String(result.stderr)).not.toMatch(/internal error/);
    });
  }
});

describe('hostile values on the command line', () => {
  it('--set toString=1 is an unknown setting, not a function source (real qctl)', { timeout: 240_000 }, async () => {
    for (const key of ['toString', 'api.valueOf']) {
      const result = await runQctl(['synth', '--env', 'dev', '--out', '-', '--set', `${key}=1`]);
      expect(result.exitCode).toBe(2);
      expect(String(result.stderr)).toMatch(new RegExp(`unknown setting "${key.replace('.', '\\.')}"`));
      expect(String(result.stderr)).not.toMatch(/function|native code/);
    }
  });
});
