#!/usr/bin/env node
// Entry for `npx qctl`. Runs the compiled CLI (`npm run build`, faster start) when build/ is
// newer than every TypeScript source, else the sources through tsx, so an edit is never
// shadowed by a stale build. QCTL_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}build/bin/qctl.js`;

function buildIsFresh() {
  if (process.env.QCTL_FROM_SOURCE === '1' || !existsSync(compiled)) return false;
  const builtAt = statSync(compiled).mtimeMs;
  for (const dir of ['app', 'infra', 'bin']) {
    for (const entry of readdirSync(`${root}${dir}`, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts') && statSync(`${entry.parentPath}/${entry.name}`).mtimeMs > builtAt) return false;
    }
  }
  return true;
}

let entry;
if (buildIsFresh()) {
  entry = await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = await import('./qctl.ts');
}
process.exitCode = await entry.main(process.argv);
