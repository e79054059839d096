#!/usr/bin/env node
// Entry for `npx qctl`. Runs the CLI bundle (build/cli/, made by `npm ci` / `npm install` through
// the `prepare` script, or `npm run bundle:cli`) while it is fresh, else the sources through tsx,
// so an edit is never shadowed by a stale bundle. Fresh: no source the bundle was built from
// (build/cli/inputs.json) and no installed package (node_modules/.package-lock.json, which npm
// rewrites on every install) is newer than the bundle. That is one stat per bundled source, a
// few milliseconds, instead of walking the source folders. QCTL_FROM_SOURCE=1 forces the sources.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}build/cli/qctl.js`;

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Infinity;
  }
}

function bundleIsFresh() {
  if (process.env.QCTL_FROM_SOURCE === '1') return false;
  const builtAt = mtime(bundle);
  if (builtAt === Infinity) return false;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(`${root}build/cli/inputs.json`, 'utf8'));
  } catch {
    return false;
  }
  // A deleted source counts as a change too (mtime is then Infinity).
  if (inputs.some((input) => mtime(`${root}${input}`) > builtAt)) return false;
  const installed = mtime(`${root}node_modules/.package-lock.json`);
  return installed === Infinity || installed <= builtAt;
}

let entry;
if (bundleIsFresh()) {
  entry = await import('../build/cli/qctl.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = await import('./qctl.ts');
}
process.exitCode = await entry.main(process.argv);
