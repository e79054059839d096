#!/usr/bin/env node
// Entry for `npx qctl`: runs the compiled CLI when `npm run build` produced it, else the TypeScript through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../build/bin/qctl.js', import.meta.url));
let entry;
if (existsSync(compiled) && process.env.QCTL_FROM_SOURCE !== '1') {
  entry = await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = await import('./qctl.ts');
}
process.exitCode = await entry.main(process.argv);
