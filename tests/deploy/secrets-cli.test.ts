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
    expect((await harness.run(['secrets', 'set', 'API_TOKEN', 'tok en"1', '--env', 'dev'])).exitCode).toBe(0);
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
    expect(decoded).toEqual({ OPENAI_API_KEY: 'sk-from-stdin', API_TOKEN: 'tok en"1' });
  });

  it('edit re-encrypts what the editor saved, and leaves the file alone when the edit is malformed', async () => {
    // The fake editor appends a line to the file it is given (its last argument).
    const editor = join(harness.bins.dir, 'append-editor');
    writeFileSync(editor, `#!${process.execPath}\nrequire('node:fs').appendFileSync(process.argv.at(-1), process.env.APPEND_LINE + '\\n');\n`);
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
  });
});
