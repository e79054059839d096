// The layering lint (docs/architecture.md): the rules in eslint.config.js that keep imports
// pointing one way, run on the real tree and on imports that break them.
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/quotes-fixture.js';

// Only the import rules, with the TypeScript parser but without type information (fast).
// (eslint.config.js is plain JavaScript outside the TypeScript project: imported by a computed path.)
const configPath: string = repoPath('eslint.config.js');
const projectConfig = ((await import(configPath)) as { default: Linter.Config[] }).default;
const layerConfig = projectConfig.find((c) => c.plugins?.['import-x'])!;
const eslint = new ESLint({
  cwd: repoPath(),
  overrideConfigFile: true,
  overrideConfig: [{ ...layerConfig, languageOptions: { parser: tseslint.parser as Linter.Parser } }],
});

async function problems(text: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: repoPath(file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering lint', () => {
  it('the tree has no import circle and no upward import', async () => {
    const results = await eslint.lintFiles(['app/**/*.ts', 'bin/**/*.ts', 'infra/**/*.ts']);
    const found = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId?.startsWith('import-x/')).map((m) => `${r.filePath}: ${m.message}`),
    );
    expect(found).toEqual([]);
  }, 600_000);

  it('fails on an import circle', async () => {
    // infra/charts/app-config.ts imports props.ts; props.ts importing it back closes a circle.
    const found = await problems("import { API_PORT } from './app-config.js';\nexport const again = API_PORT;\n", 'infra/charts/props.ts');
    expect(found.join('\n')).toMatch(/import-x\/no-cycle: Dependency cycle detected/);
  }, 120_000);

  it('fails on an engine importing its command, even a type', async () => {
    const found = await problems("import type { Command } from '../commands/up.js';\nexport type X = Command;\n", 'bin/deploy/x.ts');
    expect(found.join('\n')).toMatch(/no-restricted-paths: .*bin\/deploy sits below commands/);
  });

  it('fails on deploy importing the canary above it, and on app importing infra', async () => {
    expect((await problems("export { runCanary } from '../canary/rollout.js';\n", 'bin/deploy/x.ts')).join('\n')).toMatch(
      /bin\/deploy sits below/,
    );
    expect((await problems("export { namespaceFor } from '../infra/environments.js';\n", 'app/x.ts')).join('\n')).toMatch(
      /app\/ imports neither/,
    );
  });
});
