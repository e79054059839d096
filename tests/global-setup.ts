import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { startEmbeddedPostgres } from '../bin/dev/embedded-postgres.js';
import { templateFile } from '../bin/dev/pglite-template.js';
import { repoPath } from './helpers/quotes-fixture.js';

/**
 * Once per `vitest run`: the CLI bundle (build/cli/, what `npm ci` makes) is rebuilt when a source
 * it was built from is newer, so every test that runs `bin/qctl.mjs` runs the current sources at
 * the bundle's start-up cost instead of tsx's (several times the CPU per process, hundreds of
 * processes in the suite). bin/qctl.mjs still falls back to tsx for a source edited mid-run.
 * Then the PGlite template, made once.
 */
export default async function setup(): Promise<void> {
  if (!bundleIsFresh()) execFileSync(process.execPath, [repoPath('scripts/bundle-cli.mjs')], { stdio: 'inherit' });
  // One initdb for the run: the template every new PGlite cluster of the tests (their own and
  // those of the qctl processes they start) then loads (bin/dev/pglite-template.ts).
  const template = templateFile();
  if (template && !existsSync(template)) await (await startEmbeddedPostgres()).stop();
}

function bundleIsFresh(): boolean {
  const bundle = repoPath('build/cli/qctl.js');
  const inputsFile = repoPath('build/cli/inputs.json');
  if (!existsSync(bundle) || !existsSync(inputsFile)) return false;
  const builtAt = statSync(bundle).mtimeMs;
  const lock = repoPath('node_modules/.package-lock.json');
  if (existsSync(lock) && statSync(lock).mtimeMs > builtAt) return false;
  const inputs = JSON.parse(readFileSync(inputsFile, 'utf8')) as string[];
  return inputs.every((input) => existsSync(repoPath(input)) && statSync(repoPath(input)).mtimeMs <= builtAt);
}
