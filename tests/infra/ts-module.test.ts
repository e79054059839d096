import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importTypeScript } from '../../infra/ts-module.js';
import { repoPath } from '../helpers/quotes-fixture.js';

// Inside the repository, so the packages the module imports resolve as they do for a user's qctl.config.ts.
mkdirSync(repoPath('.qctl'), { recursive: true });
const dir = mkdtempSync(join(repoPath('.qctl'), 'ts-module-'));
// The compiled-module record goes here, not to the user's ~/.cache.
const cacheDir = mkdtempSync(join(tmpdir(), 'qctl-ts-module-cache-'));
process.env.QCTL_CACHE_DIR = cacheDir;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('importTypeScript (how the compiled CLI loads qctl.config.ts)', () => {
  it('loads TypeScript with its relative .js-named imports and packages, and keeps import.meta.url', async () => {
    writeFileSync(join(dir, 'helper.ts'), 'export const replicas: number = 3;\n');
    writeFileSync(
      join(dir, 'config.ts'),
      [
        "import { z } from 'zod';",
        "import { replicas } from './helper.js';",
        'interface Shape { replicas: number; tag: string; self: string }',
        "const value: Shape = { replicas, tag: z.string().parse('v1'), self: import.meta.url };",
        'export default value;',
      ].join('\n'),
    );
    const module = await importTypeScript(join(dir, 'config.ts'));
    expect(module.default).toEqual({ replicas: 3, tag: 'v1', self: pathToFileURL(join(dir, 'config.ts')).href });
  });

  it('reuses the compiled module while no file it was built from changed, and recompiles after an edit to any of them', async () => {
    writeFileSync(join(dir, 'cached-helper.ts'), 'export const tag: string = "one";\n');
    writeFileSync(join(dir, 'cached.ts'), "import { tag } from './cached-helper.js';\nexport default { tag };\n");
    expect((await importTypeScript(join(dir, 'cached.ts'))).default).toEqual({ tag: 'one' });
    const records = readdirSync(cacheDir).filter((name) => name.startsWith('config-module-'));
    expect(records.length).toBeGreaterThan(0);
    // The record is what the next run imports: a marker put into its code shows it was used.
    const recordPath = join(
      cacheDir,
      records.find((name) => readFileSync(join(cacheDir, name), 'utf8').includes('cached-helper'))!,
    );
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as { code: string };
    writeFileSync(recordPath, JSON.stringify({ ...record, code: record.code.replace('"one"', '"from the record"') }));
    expect((await importTypeScript(join(dir, 'cached.ts'))).default).toEqual({ tag: 'from the record' });
    // An edit to an imported file (not only the config itself) invalidates the record.
    writeFileSync(join(dir, 'cached-helper.ts'), 'export const tag: string = "two";\n');
    expect((await importTypeScript(join(dir, 'cached.ts'))).default).toEqual({ tag: 'two' });
  });

  it('reports a syntax error with its file and line', async () => {
    writeFileSync(join(dir, 'broken.ts'), 'export default {\n  replicas: 3,,\n};\n');
    await expect(importTypeScript(join(dir, 'broken.ts'))).rejects.toThrow(/broken\.ts:2:\d+: /);
  });

  it('reports an import that does not resolve', async () => {
    writeFileSync(join(dir, 'missing.ts'), "import { x } from './nowhere.js';\nexport default x;\n");
    await expect(importTypeScript(join(dir, 'missing.ts'))).rejects.toThrow(/Could not resolve "\.\/nowhere\.js"/);
  });
});
