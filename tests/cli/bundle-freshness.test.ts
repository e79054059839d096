import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/quotes-fixture.js';

/**
 * bin/qctl.mjs runs the bundle only while it is fresh. A stand-in checkout: the real entry file,
 * the real node_modules (for tsx), and a bundle and a source that each say which one ran.
 */
const root = mkdtempSync(join(tmpdir(), 'qctl-bundle-freshness-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'bin'));
mkdirSync(join(root, 'build', 'cli'), { recursive: true });
copyFileSync(repoPath('bin/qctl.mjs'), join(root, 'bin', 'qctl.mjs'));
symlinkSync(repoPath('node_modules'), join(root, 'node_modules'));
writeFileSync(join(root, 'package.json'), '{"type": "module"}\n');
const main = (which: string) => `export async function main() { process.stdout.write('${which}'); return 0; }\n`;
writeFileSync(join(root, 'bin', 'qctl.ts'), main('source'));
writeFileSync(join(root, 'bin', 'helper.ts'), 'export {};\n');
writeFileSync(join(root, 'build', 'cli', 'qctl.js'), main('bundle'));
writeFileSync(join(root, 'build', 'cli', 'inputs.json'), JSON.stringify(['bin/qctl.ts', 'bin/helper.ts']));

// Times after now: the bundle must also be newer than the last install (node_modules/.package-lock.json).
const now = Math.ceil(Date.now() / 1000);
const at = (path: string, seconds: number) => utimesSync(join(root, path), now + seconds, now + seconds);
const run = async (env: Record<string, string> = {}) =>
  String((await execa('node', [join(root, 'bin', 'qctl.mjs'), '--version'], { env: { QCTL_FROM_SOURCE: '', ...env } })).stdout);

describe('bin/qctl.mjs: the bundle while it is fresh, else the sources', () => {
  it('runs the bundle when no source it was built from is newer', async () => {
    at('bin/qctl.ts', 1_000);
    at('bin/helper.ts', 1_000);
    at('build/cli/qctl.js', 2_000);
    expect(await run()).toBe('bundle');
  });

  it('runs the sources once any bundled source is edited after the bundle was built', async () => {
    at('build/cli/qctl.js', 2_000);
    at('bin/helper.ts', 3_000);
    expect(await run()).toBe('source');
  });

  it('runs the sources when a bundled source is gone, and when QCTL_FROM_SOURCE=1', async () => {
    at('bin/helper.ts', 1_000);
    expect(await run({ QCTL_FROM_SOURCE: '1' })).toBe('source');
    rmSync(join(root, 'bin', 'helper.ts'));
    expect(await run()).toBe('source');
  });
});
