import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'qctl-synth-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `qctl synth --env dev --out -` in `project`, with its own cache directory; returns the Ingress host. */
async function synthHost(project: string, cacheDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<string> {
  const result = await runQctl(['synth', '--env', 'dev', '--out', '-', ...args], {
    cwd: project,
    env: { QCTL_CACHE_DIR: cacheDir, QUOTES_HOST: undefined, ...env },
  });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  const hosts = [...String(result.stdout).matchAll(/^\s+- host: (\S+)$/gm)].map((match) => match[1]);
  expect(hosts.length).toBeGreaterThan(0);
  return hosts[0]!;
}

const records = (cacheDir: string): string[] => readdirSync(cacheDir).filter((name) => /^synth-[0-9a-f]{24}\.json$/.test(name));

describe('the synth cache (infra/synth-cache.ts)', () => {
  it('reuses the last objects only while the config, the files and the environment variables it read are unchanged', async () => {
    const project = join(tmp, 'project');
    const cacheDir = join(tmp, 'cache');
    mkdirSync(project);
    // A config that reads a file beside it and an environment variable: both become part of the record.
    writeFileSync(join(project, 'suffix.txt'), 'example.test\n');
    writeFileSync(
      join(project, 'qctl.config.ts'),
      `import { readFileSync } from 'node:fs';
const suffix = readFileSync(new URL('./suffix.txt', import.meta.url), 'utf8').trim();
export default { environments: { dev: { ingress: { host: \`\${process.env.QUOTES_HOST ?? 'quotes'}.\${suffix}\` } } } };
`,
    );

    expect(await synthHost(project, cacheDir)).toBe('quotes.example.test');
    const [record] = records(cacheDir);
    expect(record).toBeDefined();
    const madeAt = statSync(join(cacheDir, record!)).mtimeMs;
    // Unchanged: the same objects, from the record (not rewritten).
    expect(await synthHost(project, cacheDir)).toBe('quotes.example.test');
    expect(statSync(join(cacheDir, record!)).mtimeMs).toBe(madeAt);

    writeFileSync(join(project, 'suffix.txt'), 'example.org\n');
    expect(await synthHost(project, cacheDir)).toBe('quotes.example.org');
    expect(await synthHost(project, cacheDir, { QUOTES_HOST: 'api' })).toBe('api.example.org');
    expect(await synthHost(project, cacheDir)).toBe('quotes.example.org');

    writeFileSync(
      join(project, 'qctl.config.ts'),
      `export default { environments: { dev: { ingress: { host: 'edited.example.net' } } } };\n`,
    );
    expect(await synthHost(project, cacheDir)).toBe('edited.example.net');
    // --set is part of the request: its own record.
    expect(await synthHost(project, cacheDir, {}, ['--set', 'ingress.host=set.example.net'])).toBe('set.example.net');
    expect(await synthHost(project, cacheDir)).toBe('edited.example.net');
    // Off: the same result, computed.
    expect(await synthHost(project, cacheDir, { QCTL_SYNTH_CACHE: '0' })).toBe('edited.example.net');
  });

  it('keeps no record when the config is a module Node imports itself (its imports are unknown)', async () => {
    const project = join(tmp, 'mjs-project');
    const cacheDir = join(tmp, 'mjs-cache');
    mkdirSync(project);
    writeFileSync(join(project, 'host.mjs'), `export const host = 'first.example.test';\n`);
    writeFileSync(
      join(project, 'qctl.config.mjs'),
      `import { host } from './host.mjs';\nexport default { environments: { dev: { ingress: { host } } } };\n`,
    );
    expect(await synthHost(project, cacheDir)).toBe('first.example.test');
    expect(records(cacheDir)).toEqual([]);
    writeFileSync(join(project, 'host.mjs'), `export const host = 'second.example.test';\n`);
    expect(await synthHost(project, cacheDir)).toBe('second.example.test');
  });
});
