import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importTypeScript } from '../../infra/ts-module.js';
import { repoPath } from '../helpers/quotes-fixture.js';

// Inside the repository, so the packages the module imports resolve as they do for a user's qctl.config.ts.
mkdirSync(repoPath('.qctl'), { recursive: true });
const dir = mkdtempSync(join(repoPath('.qctl'), 'ts-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

  it('reports a syntax error with its file and line', async () => {
    writeFileSync(join(dir, 'broken.ts'), 'export default {\n  replicas: 3,,\n};\n');
    await expect(importTypeScript(join(dir, 'broken.ts'))).rejects.toThrow(/broken\.ts:2:\d+: /);
  });

  it('reports an import that does not resolve', async () => {
    writeFileSync(join(dir, 'missing.ts'), "import { x } from './nowhere.js';\nexport default x;\n");
    await expect(importTypeScript(join(dir, 'missing.ts'))).rejects.toThrow(/Could not resolve "\.\/nowhere\.js"/);
  });
});
