import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { repoPath } from '../helpers/quotes-fixture.js';

/**
 * The CLI's contract for bad input, command by command: one line naming the problem and the
 * fix, exit 2 for bad usage (1 for a job that ran and failed), never a stack trace, nothing
 * started or half-written. (qctl up/diff/down/status: tests/deploy/bad-inputs.test.ts;
 * secrets: tests/deploy/secrets-cli.test.ts; load's flags: tests/load/cli.test.ts.)
 */
const dir = mkdtempSync(join(tmpdir(), 'qctl-bad-inputs-'));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a directory\n');
const notJson = join(dir, 'quotes.txt');
writeFileSync(notJson, 'this is not JSON');
const fifo = join(dir, 'a-fifo');
execFileSync('mkfifo', [fifo]);
const brokenConfig = join(dir, 'nested', 'qctl.config.ts');
mkdirSync(join(dir, 'nested'));
writeFileSync(brokenConfig, 'export default { cluster: 1 + };\n');
const bomb = join(dir, 'bomb.yaml');
{
  let text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
  for (let i = 1; i < 10; i++) {
    const [name, previous] = [String.fromCharCode(97 + i), String.fromCharCode(96 + i)];
    text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]\n`;
  }
  writeFileSync(bomb, text);
}
afterAll(() => {
  execFileSync('rm', ['-rf', dir]);
});

// PORT: `qctl dev` without --port takes $PORT, else 8080, which a user's own `qctl dev` (the quick
// start leaves it running) may hold; these cases are about their own bad input, not about that port.
const env = { DATABASE_URL: undefined, PGHOST: undefined, OPENAI_API_KEY: undefined, PORT: String(await freePort()) };
const unusedDevDir = () => join(dir, `dev-${Math.random().toString(36).slice(2)}`);

interface Case {
  args: string[];
  message: RegExp;
  exitCode?: number;
  input?: string;
  /** A path that must not exist afterwards: nothing was started or created. */
  creates?: string;
  /** Text the message must not contain (e.g. a flag of another command). */
  not?: RegExp;
}

const devDir = unusedDevDir();
const seedDir = unusedDevDir();
const cases: Record<string, Case[]> = {
  dev: [
    { args: ['dev', '--port', 'http'], message: /invalid --port "http": use a port number from 1 to 65535/ },
    { args: ['dev', '--db-port', '70000'], message: /invalid --db-port "70000"/ },
    {
      args: ['dev', '--ephemeral', '--host', 'no-such-host.invalid'],
      message: /cannot listen on no-such-host\.invalid \(ENOTFOUND\): use an address of this machine/,
    },
    {
      args: ['dev', '--dev-dir', devDir, '--quotes', '/missing.json'],
      message: /no quotes file at \/missing\.json: check the path \(a relative one starts at the working directory, \/.*\)$/,
      not: /seed|--source/,
      creates: devDir,
    },
    { args: ['dev', '--dev-dir', devDir, '--quotes', dir], message: /is not a regular file/, creates: devDir },
    {
      args: ['dev', '--dev-dir', devDir, '--quotes', notJson],
      message: /is not valid JSON .*expected an array of \{"quote", "author"\} objects/,
      creates: devDir,
    },
    {
      args: ['dev', '--dev-dir', aFile],
      message: /--dev-dir .*a-file: a file is in the way \(ENOTDIR\); pass a directory you can write to/,
    },
    { args: ['dev', '--dev-dir', '/proc/qctl-no/dev'], message: /--dev-dir \/proc\/qctl-no\/dev: cannot create it \(ENOENT\)/ },
    { args: ['dev', '--output', 'yaml'], message: /unknown --output "yaml": use text or json/ },
    {
      args: ['dev', '--dev-dir', devDir, '--dummyjson-url', 'notaurl'],
      message: /invalid --dummyjson-url "notaurl": give an http:\/\/ or https:\/\/ URL/,
      creates: devDir,
    },
  ],
  seed: [
    {
      args: ['seed', '--dev-dir', seedDir, '--source', 'file:/missing.json'],
      // The fix is not "pass a file like the one that is missing" (--source file:./quotes.json).
      message: /no quotes file at \/missing\.json: check the path/,
      not: /e\.g\./,
      creates: seedDir,
    },
    { args: ['seed', '--dev-dir', seedDir, '--source', `file:${fifo}`], message: /is not a regular file/, creates: seedDir },
    {
      args: ['seed', '--dev-dir', seedDir, '--source', '/dev/zero'],
      message: /unknown source "\/dev\/zero": use dummyjson, file:PATH, - \(stdin\) or sample/,
      creates: seedDir,
    },
    {
      args: ['seed', '--dev-dir', seedDir, '--source', '-'],
      input: '{"quotes": 3}',
      message: /standard input must hold a JSON array/,
      creates: seedDir,
    },
    {
      args: ['seed', '--dev-dir', seedDir, '--reembed', '--source', 'sample'],
      message: /--reembed recomputes the stored quotes and reads no source: drop --source sample/,
      creates: seedDir,
    },
    { args: ['seed', '--dev-dir', seedDir, '--batch-size', '0'], message: /invalid --batch-size "0"/, creates: seedDir },
    {
      args: ['seed', '--dev-dir', seedDir, '--concurrency', '1000'],
      message: /concurrency 1000 is out of range: use 1\.\.64/,
      creates: seedDir,
    },
    { args: ['seed', '--dev-dir', aFile, '--source', 'sample'], message: /a file is in the way/ },
    {
      args: ['seed', '--dev-dir', seedDir, '--dummyjson-url', 'ftp://x'],
      message: /invalid --dummyjson-url "ftp:\/\/x"/,
      creates: seedDir,
    },
    { args: ['seed', '--database-url', 'notaurl', '--source', 'sample'], message: /DATABASE_URL: must be a Postgres URL/ },
    {
      args: ['seed', '--database-url', 'postgres://app@127.0.0.1:1/quotes', '--source', 'sample'],
      message: /cannot reach the database at postgres:\/\/\*\*\*@127\.0\.0\.1:1\/quotes \(ECONNREFUSED\)/,
    },
  ],
  validate: [
    { args: ['validate', join(dir, 'missing')], message: /does not exist: pass a YAML file or a directory/ },
    { args: ['validate', fifo], message: /a-fifo is not a regular file: pass YAML files or directories/ },
    { args: ['validate', '/dev/zero'], message: /\/dev\/zero is not a regular file/ },
    { args: ['validate', '--output', 'xml', dir], message: /unknown --output "xml"/ },
  ],
  synth: [
    {
      args: ['synth', '--env', 'dev', '--set', '__proto__.polluted=1'],
      message: /invalid --set "__proto__\.polluted=1": "__proto__" is not a setting name/,
    },
    { args: ['synth', '--env', 'dev', '--set', 'constructor.name=x'], message: /"constructor" is not a setting name/ },
    { args: ['synth', '--env', 'dev', '--set', 'api..replicas=2'], message: /"" is not a setting name/ },
    {
      args: ['synth', '--env', 'dev', '--config', brokenConfig],
      message: /nested\/qctl\.config\.ts failed to load: nested\/qctl\.config\.ts:1:30: Unexpected "\}"/,
    },
  ],
};

for (const [command, table] of Object.entries(cases)) {
  describe(`qctl ${command}: bad input is one line and an exit code, never a trace`, () => {
    it.each(table)('$args', async (c) => {
      const result = await runQctl(c.args, { env, input: c.input, cwd: dir });
      const stderr = String(result.stderr);
      expect(result.exitCode, stderr).toBe(c.exitCode ?? 2);
      const lines = stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^qctl: /);
      expect(lines[0]).toMatch(c.message);
      if (c.not) expect(lines[0]).not.toMatch(c.not);
      if (c.creates) expect(existsSync(c.creates)).toBe(false);
    });
  });
}

describe('odd inputs that are not usage errors still never crash', () => {
  it('validate: a YAML alias bomb is a reported YAML error (exit 1), not a trace or a hang', async () => {
    const result = await runQctl(['validate', bomb], { env, cwd: dir });
    expect(result.exitCode).toBe(1);
    expect(String(result.stdout)).toMatch(/bomb\.yaml: \(document\) #1: .*Excessive alias count/);
    expect(String(result.stderr)).toBe('');
  });

  it('writing into a closed pipe (qctl synth --help | head -1) exits quietly', async () => {
    const result = await execa(
      'sh',
      ['-c', `node ${repoPath('bin/qctl.mjs')} synth --env dev --all --output json --out ${join(dir, 'out')} | head -c 1`],
      {
        env: { CI: 'true' },
        reject: false,
      },
    );
    expect(String(result.stderr)).not.toMatch(/EPIPE|at .*:\d+:\d+/);
  });
});
