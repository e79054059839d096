// `npm run bundle [-- OUT]`: the quote API as the image runs it, in OUT (default build/image):
//   OUT/package.json          {"type": "module"}, so Node loads the bundle as ESM
//   OUT/build/app/main.js     app/main.ts and every runtime dependency in one file
//   OUT/build/app/db/migrations/*.sql, OUT/build/app/page/*   read at run time (app/assets.ts)
// OUT is self-contained: no node_modules, no CLI, no source maps. The Dockerfile copies it to
// /app, so the image's entry point stays `node build/app/main.js`, as the manifests expect.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { copyAppAssets } from './copy-assets.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `z` from zod re-exports every locale (`z.locales`), which would be 40 % of the bundle's zod
 * share; the app only ever reports in English, zod's default. Locales other than `en` resolve
 * to nothing in the bundle (`z.locales.fr` would be undefined).
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}zod${sep}`)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * One TypeScript entry and every runtime dependency in one minified ESM file for Node 20+, the
 * way both images run their code (the API here, the load worker in scripts/bundle-load.mjs).
 */
export async function bundleNodeEntry(entryPoint, outfile) {
  await build({
    absWorkingDir: root,
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    // Class and function names stay readable in logs and error messages.
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // The CommonJS dependencies (pg, ioredis, prom-client, fastify, pino) call require() for
    // Node built-ins; an ESM bundle has none unless we make one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // pg loads its optional native binding only through `pg.native`, which the app never uses.
    external: ['pg-native'],
    plugins: [zodEnglishOnly],
  });
  return statSync(outfile).size;
}

/** Builds the artefact into outDir (emptied first); returns the bundle's path and size. */
export async function bundleApp(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  const bundle = join(outDir, 'build', 'app', 'main.js');
  await bundleNodeEntry('app/main.ts', bundle);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  const assets = copyAppAssets(join(outDir, 'build'));
  return { bundle, bytes: statSync(bundle).size, assets };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(root, process.argv[2] ?? 'build/image');
  const { bundle, bytes, assets } = await bundleApp(outDir);
  console.log(`bundled ${relative(root, bundle)} (${(bytes / 1024 / 1024).toFixed(2)} MiB) and ${assets} app asset files`);
}
