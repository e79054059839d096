// `npm run bundle:cli` (and `prepare`, so `npm ci` / `npm install` run it): the qctl CLI as a few
// ES modules in build/cli/, which bin/qctl.mjs runs while it is fresh:
//   build/cli/qctl.js           entry (commander + the command registry), a few KiB
//   build/cli/worker-thread.js  entry of `qctl load --workers N` threads
//   build/cli/config.js         infra/config.ts, for qctl.config.ts files that import it (infra/ts-module.ts)
//   build/cli/chunk-*.js        everything else, split by esbuild so each command loads only what it imports
//   build/cli/inputs.json       the sources the bundle was built from, for bin/qctl.mjs's freshness check
// Why a bundle: Node 20 spends most of a short command resolving, reading and compiling hundreds
// of small files (the CommonJS lexer, the ESM loader); a few large files load in a fraction of the
// time. Packages that locate their own files at run time stay in node_modules (see EXTERNAL).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Not bundled: kubernetes-models and the operator models are required by a computed path (only
 * the schemas a run needs); esbuild is a native binary; tsx registers loaders; PGlite and
 * playwright read files beside their own modules; cdk8s and constructs are shared with user
 * extensions; pg-native is optional and never used.
 */
const EXTERNAL = [
  'kubernetes-models',
  'kubernetes-models/*',
  '@kubernetes-models/*',
  'esbuild',
  'tsx',
  'tsx/*',
  // PGlite and its extensions (pglite-pgvector finds vector.tar.gz beside its own module).
  '@electric-sql/*',
  // A user's extension (qctl.extensions.ts) imports cdk8s, constructs and cdk8s-plus-28 from
  // node_modules: the CLI must use those same copies, or cdk8s cannot render the other's tokens.
  'cdk8s',
  'cdk8s-plus-28',
  'constructs',
  'playwright-core',
  'pg-native',
];

/**
 * Our sources find files relative to themselves (app/ assets, infra/crds, the bundled quotes).
 * In a chunk, import.meta.url would be the chunk's own URL; every output file sits in build/cli/,
 * so each source's import.meta.url becomes its source file's URL, computed from the chunk's.
 * The exceptions look for bundle files beside themselves: bin/load/local-workers.ts for
 * worker-thread.js, infra/ts-module.ts for config.js.
 */
const KEEP_OWN_URL = [`${sep}bin${sep}load${sep}local-workers.ts`, `${sep}infra${sep}ts-module.ts`];
const sourceLocations = (outDir) => ({
  name: 'source-locations',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(`${root}${sep}`) || args.path.includes(`${sep}node_modules${sep}`)) return undefined;
      const { readFile } = await import('node:fs/promises');
      let contents = await readFile(args.path, 'utf8');
      if (contents.includes('import.meta.url') && !KEEP_OWN_URL.some((file) => args.path.endsWith(file))) {
        const fromBundle = relative(outDir, args.path).split(sep).join('/');
        contents = contents.replace(/(?<!['"])\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
      }
      return { contents, loader: 'ts' };
    });
  },
});

/** Builds build/cli/ (through a temporary directory, so a failed build leaves the old one); returns its inputs. */
export async function bundleCli(outDir = join(root, 'build', 'cli')) {
  const temp = `${outDir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      qctl: 'bin/qctl.ts',
      'worker-thread': 'bin/load/worker-thread.ts',
      config: 'infra/config.ts',
    },
    outdir: temp,
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    // Class and function names stay readable in errors; cdk8s and commander read constructor names.
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    // The CommonJS dependencies call require() for Node built-ins; an ESM bundle has none unless we make one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    external: EXTERNAL,
    plugins: [sourceLocations(outDir)],
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes('node_modules/'))
    .sort();
  writeFileSync(join(temp, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  writeFileSync(join(temp, 'inputs.json'), `${JSON.stringify(inputs)}\n`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(dirname(outDir), { recursive: true });
  renameSync(temp, outDir);
  return { outDir, inputs };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir, inputs } = await bundleCli(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`bundled the qctl CLI (${inputs.length} sources) into ${relative(root, outDir) || pathToFileURL(outDir).href}`);
}
