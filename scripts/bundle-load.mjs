// `npm run bundle:load [-- OUT]`: the in-cluster load worker as the `load` image runs it, in OUT
// (default build/load-image):
//   OUT/package.json          {"type": "module"}
//   OUT/build/load/worker.js  bin/load/worker-pod.ts and its dependencies (undici, hdr-histogram-js, zod) in one file
// The worker needs no API code, no database drivers, no CLI: its image stays small, and the API
// image does not carry a load generator.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNodeEntry } from './bundle-app.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function bundleLoadWorker(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const bundle = join(outDir, 'build', 'load', 'worker.js');
  const bytes = await bundleNodeEntry('bin/load/worker-pod.ts', bundle);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  return { bundle, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { bundle, bytes } = await bundleLoadWorker(resolve(root, process.argv[2] ?? 'build/load-image'));
  console.log(`bundled ${relative(root, bundle)} (${(bytes / 1024).toFixed(0)} KiB)`);
}
