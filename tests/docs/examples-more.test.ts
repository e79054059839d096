import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, repoPath } from '../helpers/quotes-fixture.js';
import { extractTranscripts } from './examples.js';

/**
 * The examples that docs show in plain fences as a `$ command` followed by its output (the
 * output is part of the example, so those fences are not shell fences that examples.test.ts
 * runs). Each one whose command runs the bundle is run here against a real `npm run bundle`,
 * and its output must be what the doc shows.
 */
const out = mkdtempSync(join(tmpdir(), 'qctl-docs-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('docs/app.md: the bundle examples', () => {
  const examples = extractTranscripts(REPO_ROOT, 'docs/app.md').filter((t) => /\bnode build\//.test(t.command));

  it('show the path `npm run bundle` writes by default', () => {
    expect(examples.length).toBeGreaterThan(0);
    const script = readFileSync(repoPath('scripts/bundle-app.mjs'), 'utf8');
    const defaultOut = /process\.argv\[2\] \?\? '([^']+)'/.exec(script)?.[1];
    expect(defaultOut).toBe('build/image');
    for (const example of examples) expect(example.command, example.where).toContain(`node ${defaultOut}/build/app/main.js`);
  });

  it('print what the doc shows when run from a fresh bundle', { timeout: 300_000 }, async () => {
    const bundled = await execa('node', [repoPath('scripts/bundle-app.mjs'), out], { cwd: repoPath(), reject: false });
    expect(bundled.exitCode, String(bundled.stderr)).toBe(0);
    for (const example of examples) {
      const command = example.command.replace('build/image/', `${out}/`);
      const result = await execa('sh', ['-c', command], {
        cwd: repoPath(),
        env: { PATH: process.env.PATH! },
        extendEnv: false,
        reject: false,
      });
      const shown = `${String(result.stdout)}${String(result.stderr)}`.trim().split('\n');
      expect(shown, example.where).toEqual(example.output.filter(Boolean));
    }
  });
});
