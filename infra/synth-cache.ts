import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterFlavour } from './clusters.js';
import type { MonitoringMode } from './config.js';
import { createSynthContext } from './context.js';
import type { Environment, EnvironmentName } from './environments.js';
import type { ImageRef } from './image.js';
import type { SynthFile, SynthResult } from './main.js';
import type { SynthRequest } from './request.js';
import type { RenderedFile } from './synth-output.js';
import { userModules } from './ts-module.js';
import type { ValidationIssue } from './validation/issue.js';

/**
 * The last synthesized (and validated) objects, reused while nothing they were made from has
 * changed. A repeated `qctl synth` or `qctl up` then loads neither cdk8s nor the settings
 * schema nor the validators: most of their cost is loading those modules, not running them.
 *
 * A record is reused only when all of these are unchanged:
 * - the request: environments, --cluster, --image, --set, --monitoring, --config, working directory;
 * - qctl's synthesis code: every file under infra/ and app/ (path, size, mtime) and the installed
 *   packages (node_modules/.package-lock.json, which npm rewrites on every install);
 * - the user's modules (qctl.config.ts, qctl.extensions.ts and every file they import, by
 *   content hash; esbuild lists them when it compiles them);
 * - every file the synthesis read, listed or probed outside infra/ and node_modules (by content
 *   hash, or absent), and every environment variable it read (by value), recorded during the
 *   run that made the record.
 * A run that cannot be tracked that way is not cached: a config module imported by Node itself
 * (a .js/.mjs config, or any config when qctl runs from source through tsx, whose imports are
 * not listed), or code that enumerates the whole environment. What cannot be seen at all is a
 * config whose output depends on the clock or on the network: QCTL_SYNTH_CACHE=0 turns the
 * cache off. Records live in $QCTL_CACHE_DIR (default $XDG_CACHE_HOME/qctl or ~/.cache/qctl),
 * best effort: an unwritable directory only means no cache.
 */

export interface CachedSynthOptions {
  /** Path of the config file; undefined: ./qctl.config.ts when present; false: none. */
  config?: string | false;
  cwd?: string;
  /** Also validate every result (infra/validate.ts); the issues are cached with the objects. */
  validate: boolean;
  /** Also render every result's files as YAML (synth-output.ts), cached likewise. */
  render?: boolean;
}

export interface SynthOutcome {
  result: SynthResult;
  /** Present when validation was asked for. */
  issues?: ValidationIssue[];
  /** Present when rendering was asked for. */
  rendered?: RenderedFile[];
}

/** What a record keeps of a SynthResult: the context is rebuilt from its parts (it holds functions). */
interface StoredResult {
  env: EnvironmentName;
  namespace: string;
  cluster: SynthResult['cluster'];
  image: string;
  monitoring: MonitoringMode;
  files: SynthFile[];
  ignored: string[];
  settings: Environment;
  imageRef: ImageRef;
  /** The flavour as it was (plain data), not looked up again by name. */
  flavour: ClusterFlavour;
}

interface SynthRecord {
  stamp: string;
  env: Record<string, string | null>;
  files: Record<string, string | null>;
  results: StoredResult[];
  issues?: ValidationIssue[][];
  rendered?: RenderedFile[][];
}

const RECORD_VERSION = 2;
const INFRA_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT_DIR = dirname(INFRA_DIR);

const MODULE_FILE = /\.(?:[cm]?js|[cm]?ts)$/;

const cacheDir = (): string => process.env.QCTL_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qctl');

/**
 * Synthesizes (and validates) each parsed request with one config, from the record when it is still
 * valid. Bad input throws InfraUsageError exactly as synthesize() does (nothing is cached then).
 */
export async function synthesizeCached(requests: SynthRequest[], options: CachedSynthOptions): Promise<SynthOutcome[]> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const enabled = process.env.QCTL_SYNTH_CACHE !== '0';
  const file = recordFile(requests, options.config, cwd);
  const stamp = enabled ? codeStamp() : '';
  const record = enabled ? readRecord(file, stamp) : undefined;
  if (record) {
    // Objects cached by a run that did not validate or render (qctl up): add what is missing, keep all.
    if (await complete(record, options)) writeRecord(file, record);
    return outcomes(record, options);
  }
  const fresh = await synthesizeFresh(requests, cwd, options.config);
  await complete(fresh.stored, options);
  if (enabled && fresh.record) writeRecord(file, { ...fresh.record, ...fresh.stored, stamp });
  return outcomes(fresh.stored, options);
}

/** Adds the issues and the rendered files the options ask for and the record lacks; true when it added any. */
async function complete(record: Pick<SynthRecord, 'results' | 'issues' | 'rendered'>, options: CachedSynthOptions): Promise<boolean> {
  let added = false;
  if (options.validate && !record.issues) {
    const { validateFiles } = await import('./validate.js');
    record.issues = record.results.map((result) => validateFiles(result.files));
    added = true;
  }
  if (options.render && !record.rendered) {
    const { renderFiles } = await import('./synth-output.js');
    record.rendered = record.results.map((result) => renderFiles(result));
    added = true;
  }
  return added;
}

/** Synthesizes while recording what the run reads; `record` is undefined when the run cannot be tracked. */
async function synthesizeFresh(
  requests: SynthRequest[],
  cwd: string,
  config: string | false | undefined,
): Promise<{ stored: Pick<SynthRecord, 'results' | 'issues' | 'rendered'>; record?: Pick<SynthRecord, 'env' | 'files'> }> {
  const reads = startRecordingReads();
  let results: SynthResult[];
  try {
    const main = await import('./main.js');
    const loaded = await main.resolveConfig(config, cwd);
    results = requests.map((request) => main.synthesizeRequest(request, loaded.config, loaded.source));
  } finally {
    reads.stop();
  }
  const stored: Pick<SynthRecord, 'results' | 'issues' | 'rendered'> = { results: results.map(storeResult) };
  if (!reads.trackable || userModules.untracked) return { stored };
  for (const input of userModules.inputs) reads.files.add(input);
  const files: Record<string, string | null> = {};
  for (const path of [...reads.files].sort()) files[path] = fileState(path);
  const env = Object.fromEntries([...reads.env].sort().map((name) => [name, process.env[name] ?? null]));
  return { stored, record: { env, files } };
}

function storeResult(result: SynthResult): StoredResult {
  const { env, namespace, cluster, image, monitoring, files, ignored, context } = result;
  return {
    env,
    namespace,
    cluster,
    image,
    monitoring,
    files,
    ignored,
    settings: context.env,
    imageRef: context.image,
    flavour: context.cluster,
  };
}

function outcomes(record: Pick<SynthRecord, 'results' | 'issues' | 'rendered'>, options: CachedSynthOptions): SynthOutcome[] {
  return record.results.map((stored, i) => {
    const { settings, imageRef, flavour, ...rest } = stored;
    const context = createSynthContext({
      env: settings,
      cluster: flavour,
      image: imageRef,
      monitoring: stored.monitoring,
    });
    const result: SynthResult = { ...rest, context, objects: stored.files.flatMap((file) => file.objects) };
    return {
      result,
      issues: options.validate ? record.issues?.[i] : undefined,
      rendered: options.render ? record.rendered?.[i] : undefined,
    };
  });
}

function recordFile(requests: SynthRequest[], config: string | false | undefined, cwd: string): string {
  const key = createHash('sha256')
    .update(JSON.stringify([RECORD_VERSION, requests, config ?? null, cwd]))
    .digest('hex')
    .slice(0, 24);
  return join(cacheDir(), `synth-${key}.json`);
}

function readRecord(file: string, stamp: string): SynthRecord | undefined {
  let record: SynthRecord;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8')) as SynthRecord;
  } catch {
    return undefined;
  }
  if (record.stamp !== stamp) return undefined;
  for (const [name, value] of Object.entries(record.env)) if ((process.env[name] ?? null) !== value) return undefined;
  for (const [path, state] of Object.entries(record.files)) if (fileState(path) !== state) return undefined;
  return record;
}

/** Best effort; write-then-rename so a concurrent reader never sees half a record. */
function writeRecord(file: string, record: SynthRecord): void {
  try {
    fs.mkdirSync(dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(record));
    fs.renameSync(`${file}.${process.pid}`, file);
  } catch {
    // no cache this time
  }
}

/** qctl's synthesis code (infra/, app/) and the installed packages, by path, size and mtime (a few ms, no reads). */
function codeStamp(): string {
  const hash = createHash('sha256').update(`${RECORD_VERSION}\0${process.version}\0`);
  const add = (path: string) => {
    try {
      const stat = fs.statSync(path);
      hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\0`);
    } catch {
      hash.update(`${path}\0absent\0`);
    }
  };
  // infra/ imports the app's own rules for the settings it writes (app/config.ts), so app/ counts too.
  for (const dir of [INFRA_DIR, join(ROOT_DIR, 'app')]) {
    const entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
    for (const path of entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort())
      add(path);
  }
  add(join(ROOT_DIR, 'node_modules', '.package-lock.json'));
  return hash.digest('hex');
}

/** A file's content hash, a directory's sorted entry names, or null when absent. */
function fileState(path: string): string | null {
  try {
    if (fs.statSync(path).isDirectory()) return `dir:${fs.readdirSync(path).sort().join('\0')}`;
    return createHash('sha256').update(fs.readFileSync(path)).digest('base64url');
  } catch {
    return null;
  }
}

/**
 * Records, until stop(), which environment variables are read and which files are read, listed
 * or probed through node:fs, outside qctl's own code, the installed packages and the cache.
 * process.env is swapped for a recording proxy; the fs functions are wrapped (and synced into
 * ES module imports of node:fs). Enumerating the environment makes the run untrackable.
 */
function startRecordingReads(): { env: Set<string>; files: Set<string>; trackable: boolean; stop(): void } {
  const state = { env: new Set<string>(), files: new Set<string>(), trackable: true, stop: () => {} };
  const realEnv = process.env;
  userModules.realEnv = realEnv;
  process.env = new Proxy(realEnv, {
    get(target, name) {
      if (typeof name === 'string') state.env.add(name);
      return Reflect.get(target, name);
    },
    has(target, name) {
      if (typeof name === 'string') state.env.add(name);
      return Reflect.has(target, name);
    },
    ownKeys(target) {
      state.trackable = false;
      return Reflect.ownKeys(target);
    },
  });
  const ignored = [`${INFRA_DIR}${sep}`, `${join(ROOT_DIR, 'node_modules')}${sep}`, `${resolve(cacheDir())}${sep}`];
  const note = (path: unknown, readsContent: boolean) => {
    if (typeof path !== 'string' && !(path instanceof URL)) return;
    const absolute = resolve(path instanceof URL ? fileURLToPath(path) : path);
    // Modules Node loads are qctl's own (its bundle, built from infra/ and bin/), packages, or
    // user modules, all covered above (a user module Node imports itself makes the run untracked).
    if ((readsContent && MODULE_FILE.test(absolute)) || ignored.some((prefix) => absolute.startsWith(prefix))) return;
    state.files.add(absolute);
  };
  type Patchable = Record<string, (...args: unknown[]) => unknown>;
  const patched: Array<[Patchable, string, (...args: unknown[]) => unknown]> = [];
  const wrap = (owner: Patchable, name: string) => {
    const original = owner[name]!;
    patched.push([owner, name, original]);
    owner[name] = function (this: unknown, ...args: unknown[]) {
      note(args[0], name === 'readFile' || name === 'readFileSync');
      return original.apply(this, args);
    };
  };
  for (const name of ['readFileSync', 'readFile', 'existsSync', 'readdirSync', 'readdir', 'statSync', 'stat'])
    wrap(fs as unknown as Patchable, name);
  for (const name of ['readFile', 'readdir', 'stat']) wrap(fs.promises as unknown as Patchable, name);
  syncBuiltinESMExports();
  state.stop = () => {
    process.env = realEnv;
    userModules.realEnv = undefined;
    for (const [owner, name, original] of patched) owner[name] = original;
    syncBuiltinESMExports();
  };
  return state;
}
