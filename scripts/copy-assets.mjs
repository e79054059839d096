// tsc emits only JavaScript; the app also reads SQL migrations and the search page at run time,
// and the validator reads the bundled CRDs. Copies every non-TypeScript file under app/ (and,
// for the CLI build, infra/crds) into the build output (default build/), so build/ runs on its
// own: in the image, and for `npx qctl` after `npm run build`.
// scripts/bundle-app.mjs imports copyAppAssets for the image's single-file bundle.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Copies app/**\/*(non-.ts) to outDir/app/..., keeping their paths; returns how many. */
export function copyAppAssets(outDir) {
  return copyNonTypeScript('app', outDir);
}

function copyNonTypeScript(folder, outDir) {
  let copied = 0;
  for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
    const source = join(entry.parentPath, entry.name);
    cpSync(source, join(outDir, relative(root, source)));
    copied += 1;
  }
  return copied;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(root, process.argv[2] ?? 'build');
  const copied = copyAppAssets(outDir) + copyNonTypeScript('infra/crds', outDir);
  console.log(`copied ${copied} asset files into ${relative(root, outDir) || '.'}`);
}
