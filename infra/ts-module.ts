import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

/**
 * Imports a TypeScript module (qctl.config.ts) without registering a loader: esbuild bundles
 * the file and its relative imports into one ES module, packages stay imports by absolute
 * file URL, and the result is imported from a data: URL. tsx's tsImport would do the same
 * job but registers Node 20 loader hooks on a worker thread, after which every later import
 * of the process (cdk8s, the schema models) pays a round trip to it: that cost `qctl synth`
 * from the compiled CLI about half a second.
 */
export async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  const code = readCompiled(file) ?? (await compile(file));
  for (const input of compiledInputs.get(file) ?? []) userModules.inputs.add(input);
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as Record<string, unknown>;
}

async function compile(file: string): Promise<string> {
  const { build } = await import('esbuild');
  const url = pathToFileURL(file).href;
  // esbuild starts its service with a copy of the whole environment: not a read by the user's
  // code, so it is kept out of the synth cache's record (realEnv: set while it records).
  const recording = process.env;
  if (userModules.realEnv) process.env = userModules.realEnv;
  try {
    const result = await build({
      entryPoints: [file],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [compiledTwins, packagesByAbsoluteUrl],
      // The module runs from a data: URL; code that locates files from itself still sees its own path.
      define: { 'import.meta.url': JSON.stringify(url) },
    });
    const code = result.outputFiles[0]!.text;
    const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes(':'));
    // esbuild names inputs relative to the working directory.
    compiledInputs.set(
      file,
      inputs.map((input) => resolve(input)),
    );
    saveCompiled(file, inputs, code);
    return code;
  } catch (error) {
    const first = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> })
      .errors?.[0];
    if (!first) throw error;
    const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    throw new Error(`${where}${first.text}`, { cause: error });
  } finally {
    process.env = recording;
  }
}

/**
 * The compiled module, kept in $QCTL_CACHE_DIR (like the schema record) with the content hash of
 * every file it was bundled from: starting esbuild's service costs a `qctl synth` or `up` about
 * a tenth of a second, for a config that rarely changes. The record's name carries the config's
 * path and this module's own URL (another qctl build resolves twins to other files).
 */
interface CompiledRecord {
  inputs: Record<string, string>;
  code: string;
}

function recordFile(file: string): string {
  const dir = process.env.QCTL_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qctl');
  const key = createHash('sha256')
    .update(`${file}\0${import.meta.url}`)
    .digest('hex')
    .slice(0, 24);
  return join(dir, `config-module-${key}.json`);
}

const contentHash = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('base64url');

function readCompiled(file: string): string | undefined {
  try {
    const record = JSON.parse(readFileSync(recordFile(file), 'utf8')) as CompiledRecord;
    const unchanged = Object.entries(record.inputs).every(([path, hash]) => contentHash(path) === hash);
    if (!unchanged || typeof record.code !== 'string') return undefined;
    compiledInputs.set(file, Object.keys(record.inputs));
    return record.code;
  } catch {
    return undefined;
  }
}

/** Best effort (a read-only home just means no cache); write-then-rename so readers never see half a file. */
function saveCompiled(file: string, inputs: string[], code: string): void {
  try {
    const record: CompiledRecord = { inputs: {}, code };
    // esbuild names inputs relative to the working directory.
    for (const input of inputs) record.inputs[resolve(input)] = contentHash(resolve(input));
    const target = recordFile(file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.${process.pid}`, JSON.stringify(record));
    renameSync(`${target}.${process.pid}`, target);
  } catch {
    // no cache this time
  }
}

/**
 * The files the user's modules were compiled from (absolute paths), for the synth cache
 * (infra/synth-cache.ts); `untracked` when a user module was imported some other way (its
 * imports unknown).
 */
export const userModules: { inputs: Set<string>; untracked: boolean; realEnv?: NodeJS.ProcessEnv } = {
  inputs: new Set<string>(),
  untracked: false,
};
const compiledInputs = new Map<string, string[]>();

const INNER = Symbol('inner resolve');

/**
 * Running compiled, the qctl sources a config imports (qctl.config.ts imports infra/config.ts)
 * are already loaded: import those rather than bundle second copies (a second settings schema, a
 * second zod setup). Two layouts: tsc's (this file is build/infra/ts-module.js, every source has a
 * twin) and the CLI bundle's (this file is inlined into a chunk of build/cli/, which exposes
 * infra/config.ts as its entry config.js; scripts/bundle-cli.mjs).
 */
const here = dirname(fileURLToPath(import.meta.url));
const compiledRoot = import.meta.url.endsWith('.js') ? dirname(here) : undefined;
const sourceRoot = compiledRoot && findUp(compiledRoot, (dir) => existsSync(join(dir, 'infra', 'ts-module.ts')));

function findUp(start: string, found: (dir: string) => boolean): string | undefined {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) if (found(dir)) return dir;
  return undefined;
}

function compiledTwin(source: string): string | undefined {
  const path = relative(sourceRoot!, source);
  const candidates = [join(compiledRoot!, path).replace(/\.ts$/, '.js')];
  // First: in tsc's layout it is the same file; in the bundle's, build/ may also hold an old tsc output.
  if (path === join('infra', 'config.ts')) candidates.unshift(join(here, 'config.js'));
  return candidates.find((candidate) => existsSync(candidate));
}

const compiledTwins: Plugin = {
  name: 'compiled-twins',
  setup(build) {
    if (!compiledRoot || !sourceRoot) return;
    build.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === INNER) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: INNER,
      });
      if (resolved.errors.length > 0 || !resolved.path.startsWith(`${sourceRoot}${sep}`) || !resolved.path.endsWith('.ts'))
        return undefined;
      const twin = compiledTwin(resolved.path);
      return twin ? { path: pathToFileURL(twin).href, external: true } : undefined;
    });
  },
};

/** A data: module cannot resolve bare specifiers: each package import becomes its resolved file URL. */
const packagesByAbsoluteUrl: Plugin = {
  name: 'packages-by-absolute-url',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === INNER || args.path.startsWith('node:')) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: INNER,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.external ? resolved.path : pathToFileURL(resolved.path).href, external: true };
    });
  },
};
