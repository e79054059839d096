import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployHarness } from './harness.js';

let harness: DeployHarness;

beforeAll(async () => {
  harness = await DeployHarness.create();
});

afterAll(async () => {
  await harness.stop();
});

describe('qctl secrets and up', () => {
  it('init creates an identity, the recipient and the env file; set/list/unset round-trip; up loads them into quote-api-secrets', async () => {
    const init = await harness.run(['secrets', 'init', '--env', 'dev', '--output', 'json']);
    expect(init.exitCode, String(init.stderr)).toBe(0);
    const info = JSON.parse(String(init.stdout)) as { identity: string; recipient: string; file: string };
    const identityPath = join(harness.home, '.config', 'qctl', 'age.txt');
    expect(info.identity).toBe(identityPath);
    expect(statSync(identityPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(harness.project, 'secrets/recipients.txt'), 'utf8')).toContain(info.recipient);
    expect(existsSync(join(harness.project, 'secrets/dev.env.age'))).toBe(true);

    expect((await harness.run(['secrets', 'set', 'OPENAI_API_KEY', '--env', 'dev'], { input: 'sk-from-stdin\n' })).exitCode).toBe(0);
    expect((await harness.run(['secrets', 'set', 'API_TOKEN', 'tok en"1 of 16+ chars', '--env', 'dev'])).exitCode).toBe(0);
    expect((await harness.run(['secrets', 'set', 'TEMP', 'x', '--env', 'dev'])).exitCode).toBe(0);
    expect((await harness.run(['secrets', 'unset', 'TEMP', '--env', 'dev'])).exitCode).toBe(0);
    const encrypted = readFileSync(join(harness.project, 'secrets/dev.env.age'), 'utf8');
    expect(encrypted).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
    expect(encrypted).not.toContain('sk-from-stdin');

    const list = await harness.run(['secrets', 'list', '--env', 'dev', '--output', 'json']);
    expect(JSON.parse(String(list.stdout))).toMatchObject({ keys: ['API_TOKEN', 'OPENAI_API_KEY'] });
    expect(String(list.stdout)).not.toContain('sk-from-stdin');

    const up = await harness.run(['up', '--image', 'registry.example/quote-api:1', '--timeout', '10s']);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    const data = harness.api.get('Secret', 'quotes-dev', 'quote-api-secrets')!.data as Record<string, string>;
    const decoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(decoded).toEqual({ OPENAI_API_KEY: 'sk-from-stdin', API_TOKEN: 'tok en"1 of 16+ chars' });
  });

  it('edit re-encrypts what the editor saved, and leaves the file alone when the edit is malformed', async () => {
    // The fake editor appends a line to the file it is given (its last argument).
    const editor = join(harness.bins.dir, 'append-editor');
    writeFileSync(
      editor,
      `#!${process.execPath}\nrequire('node:fs').appendFileSync(process.argv.at(-1), process.env.APPEND_LINE + '\\n');\n`,
    );
    chmodSync(editor, 0o755);
    const ok = await harness.run(['secrets', 'edit', '--env', 'dev'], { env: { EDITOR: editor, APPEND_LINE: 'LOG_LEVEL=debug' } });
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    const list = await harness.run(['secrets', 'list', '--env', 'dev']);
    expect(String(list.stdout).trim().split('\n')).toEqual(['API_TOKEN', 'LOG_LEVEL', 'OPENAI_API_KEY']);
    const before = readFileSync(join(harness.project, 'secrets/dev.env.age'), 'utf8');
    const bad = await harness.run(['secrets', 'edit', '--env', 'dev'], { env: { EDITOR: editor, APPEND_LINE: 'not a pair' } });
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/secrets\/dev\.env\.age \(edited\) line 4: expected KEY=VALUE/);
    expect(readFileSync(join(harness.project, 'secrets/dev.env.age'), 'utf8')).toBe(before);
    // The refused edits are not lost, and not left in plaintext: they are kept encrypted...
    expect(String(bad.stderr)).toMatch(
      /your edits are kept encrypted in secrets\/dev\.env\.age\.rejected: run qctl secrets edit --env dev again/,
    );
    const rejected = readFileSync(join(harness.project, 'secrets/dev.env.age.rejected'), 'utf8');
    expect(rejected).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
    expect(rejected).not.toContain('not a pair');
    // ...and the next edit starts from them: a fixing editor turns the bad line into a pair.
    const fixer = join(harness.bins.dir, 'fix-editor');
    writeFileSync(
      fixer,
      `#!${process.execPath}\nconst fs = require('node:fs'); const f = process.argv.at(-1); fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('not a pair', 'FIXED=1'));\n`,
    );
    chmodSync(fixer, 0o755);
    const fixed = await harness.run(['secrets', 'edit', '--env', 'dev'], { env: { EDITOR: fixer } });
    expect(fixed.exitCode, String(fixed.stderr)).toBe(0);
    expect(String(fixed.stderr)).toContain('resuming your rejected edits from secrets/dev.env.age.rejected');
    expect(existsSync(join(harness.project, 'secrets/dev.env.age.rejected'))).toBe(false);
    const keys = await harness.run(['secrets', 'list', '--env', 'dev']);
    expect(String(keys.stdout).trim().split('\n')).toEqual(['API_TOKEN', 'FIXED', 'LOG_LEVEL', 'OPENAI_API_KEY']);
  });

  it('edit with no change leaves the encrypted file byte for byte (no git churn)', async () => {
    const before = readFileSync(join(harness.project, 'secrets/dev.env.age'), 'utf8');
    const result = await harness.run(['secrets', 'edit', '--env', 'dev'], { env: { EDITOR: 'true' } });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toBe('no changes: secrets/dev.env.age left as it was\n');
    expect(readFileSync(join(harness.project, 'secrets/dev.env.age'), 'utf8')).toBe(before);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('edit interrupted by %s removes the decrypted copy', async (signal) => {
    // The editor notes the path it was given, then waits like a person typing.
    const marker = join(harness.home, `editor-path-${signal}`);
    const slow = join(harness.bins.dir, 'slow-editor');
    writeFileSync(
      slow,
      `#!${process.execPath}\nrequire('node:fs').writeFileSync(process.env.MARKER, process.argv.at(-1));\nsetTimeout(() => {}, 60000);\n`,
    );
    chmodSync(slow, 0o755);
    const { execa } = await import('execa');
    const { repoPath } = await import('../helpers/quotes-fixture.js');
    const child = execa('node', [repoPath('bin/qctl.mjs'), 'secrets', 'edit', '--env', 'dev'], {
      cwd: harness.project,
      env: { CI: 'true', ...harness.env({ EDITOR: slow, MARKER: marker }) },
      reject: false,
      detached: true, // its own process group, as a terminal would make it
    });
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 50));
    const plaintext = readFileSync(marker, 'utf8');
    expect(existsSync(plaintext)).toBe(true);
    process.kill(-child.pid!, signal); // the whole group, editor included, like Ctrl-C in a terminal
    const result = await child;
    expect(result.exitCode).not.toBe(0);
    expect(existsSync(plaintext)).toBe(false);
    expect(existsSync(join(plaintext, '..'))).toBe(false);
  });

  it.each([
    [
      'set with an empty value from stdin',
      ['secrets', 'set', 'OPENAI_API_KEY', '--env', 'dev'],
      { input: '' },
      /the value for OPENAI_API_KEY is empty .*: pass a value, or --allow-empty/,
    ],
    ['set with an empty argument', ['secrets', 'set', 'API_TOKEN', '', '--env', 'dev'], {}, /the value for API_TOKEN is empty/],
    [
      'edit with an editor that does not exist',
      ['secrets', 'edit', '--env', 'dev'],
      { env: { EDITOR: 'no-such-editor-qctl' } },
      /EDITOR is "no-such-editor-qctl", which cannot be run: set EDITOR to an installed editor/,
    ],
    [
      'QCTL_AGE_KEY pointing at a directory',
      ['secrets', 'list', '--env', 'dev'],
      { env: { QCTL_AGE_KEY: '/tmp' } },
      /QCTL_AGE_KEY points at \/tmp, which is not a file/,
    ],
    ['import of a directory', ['secrets', 'import', '/tmp', '--env', 'dev'], {}, /cannot import \/tmp: not a regular file/],
    ['unknown key', ['secrets', 'set', '1BAD', 'x', '--env', 'dev'], {}, /invalid key "1BAD"/],
    // The app's own rules (app/config.ts): a value it would refuse at start-up is refused here.
    [
      'set with a token the app refuses',
      ['secrets', 'set', 'API_TOKEN', 's3cret', '--env', 'prod'],
      {},
      /^qctl: API_TOKEN must be at least 16 characters \(generate one with `openssl rand -hex 24`\); nothing was stored$/,
    ],
    [
      'set with a log level the app refuses',
      ['secrets', 'set', 'LOG_LEVEL', 'chatty', '--env', 'dev'],
      {},
      /^qctl: LOG_LEVEL must be one of fatal/,
    ],
  ] as const)('bad input: %s -> one line, exit 2, the secret file untouched', async (_name, args, options, message) => {
    const before = readFileSync(join(harness.project, 'secrets/dev.env.age'), 'utf8');
    const result = await harness.run([...args], options as { env?: Record<string, string>; input?: string });
    expect(result.exitCode).toBe(2);
    const lines = String(result.stderr).split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(readFileSync(join(harness.project, 'secrets/dev.env.age'), 'utf8')).toBe(before);
  });

  it('set --allow-empty stores an empty value on purpose', async () => {
    const result = await harness.run(['secrets', 'set', 'EMPTY_ON_PURPOSE', '--allow-empty', '--env', 'dev'], { input: '' });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String((await harness.run(['secrets', 'list', '--env', 'dev'])).stdout)).toContain('EMPTY_ON_PURPOSE');
  });
});
