import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CLUSTER_NAMES, type ClusterName } from './clusters.js';
import { ENVIRONMENT_NAMES, type EnvironmentName, type EnvironmentSettings } from './environments.js';
import { InfraUsageError } from './errors.js';
import type { DeepPartial } from './merge.js';
import { environmentSettingsSchema, RENAMED_SETTINGS } from './settings-schema.js';
import { importTypeScript, userModules } from './ts-module.js';
import type { StackExtension } from './extension.js';

export const MONITORING_MODES = ['self', 'operator', 'none'] as const;
export type MonitoringMode = (typeof MONITORING_MODES)[number];

export type SettingsOverride = DeepPartial<EnvironmentSettings>;

/** The shape of qctl.config.ts at the repository root (see qctl.config.ts and docs/manifests.md). */
export interface QctlConfig {
  /** Cluster flavour used when `--cluster` is not given (default microk8s). */
  cluster?: ClusterName;
  /** Monitoring stack mode used when `--monitoring` is not given (default self). */
  monitoring?: MonitoringMode;
  /** Overrides applied to every environment, before the per-environment ones. */
  defaults?: SettingsOverride;
  /** Per-environment overrides. */
  environments?: Partial<Record<EnvironmentName, SettingsOverride>>;
  /**
   * Module whose default export adds your own cdk8s / cdk8s-plus-28 constructs to every
   * environment (infra/extension.ts), relative to the working directory. Default:
   * qctl.extensions.ts there, when present.
   */
  extensions?: string;
  /** The extension itself, inline (what `extensions` loads; set one or the other). */
  extend?: StackExtension;
}

/** Identity function that gives qctl.config.ts its types. */
export function defineConfig(config: QctlConfig): QctlConfig {
  return config;
}

// The nested settings are checked key by key by getEnvironment(); here only the outer shape.
const configSchema = z.strictObject({
  cluster: z.enum(CLUSTER_NAMES).optional(),
  monitoring: z.enum(MONITORING_MODES).optional(),
  defaults: z.record(z.string(), z.unknown()).optional(),
  environments: z.partialRecord(z.enum(ENVIRONMENT_NAMES), z.record(z.string(), z.unknown())).optional(),
  extensions: z.string().min(1).optional(),
  extend: z.custom<StackExtension>((value) => typeof value === 'function', 'expected a function (see defineExtension)').optional(),
});

export function checkConfig(value: unknown, source: string): QctlConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      throw new InfraUsageError(
        `${source}: unknown key "${[path, issue.keys[0]].filter(Boolean).join('.')}": use cluster, monitoring, defaults, environments.{${ENVIRONMENT_NAMES.join(',')}} or extensions`,
      );
    }
    throw new InfraUsageError(`${source}: ${path || 'config'}: ${issue.message}`);
  }
  return parsed.data as QctlConfig;
}

export const CONFIG_FILE_NAMES = ['qctl.config.ts', 'qctl.config.mts', 'qctl.config.mjs', 'qctl.config.js'];

/**
 * Loads the config file: `path` when given (must exist), else the first of CONFIG_FILE_NAMES
 * in `cwd`. Returns null when there is none. TypeScript files load through tsx, which is a
 * runtime dependency, so this works from the compiled CLI too.
 */
export async function loadConfigFile(path?: string, cwd = process.cwd()): Promise<{ config: QctlConfig; source: string } | null> {
  let file: string | undefined;
  if (path) {
    file = resolve(cwd, path);
    if (!existsSync(file)) throw new InfraUsageError(`config file ${path} does not exist: pass an existing qctl.config.ts`);
  } else {
    file = CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
    if (!file) return null;
  }
  const { value, source } = await importUserModule(file, cwd);
  if (value === undefined) throw new InfraUsageError(`${source} has no default export: end it with \`export default defineConfig({...})\``);
  return { config: checkConfig(value, source), source };
}

export const EXTENSION_FILE_NAMES = ['qctl.extensions.ts', 'qctl.extensions.mts', 'qctl.extensions.mjs', 'qctl.extensions.js'];

/**
 * Loads the extension module: `path` when given (must exist), else the first of
 * EXTENSION_FILE_NAMES in `cwd`; null when there is none. Its default export must be a
 * function (defineExtension). Only synthesis calls this, so commands that merely read the
 * config never load the extension or the cdk8s-plus-28 it imports.
 */
export async function loadExtensionFile(
  path: string | undefined,
  cwd = process.cwd(),
): Promise<{ extend: StackExtension; source: string } | null> {
  let file: string | undefined;
  if (path) {
    file = resolve(cwd, path);
    if (!existsSync(file))
      throw new InfraUsageError(`extensions file ${path} does not exist: fix "extensions" in qctl.config.ts or create the file`);
  } else {
    file = EXTENSION_FILE_NAMES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
    if (!file) return null;
  }
  const { value, source } = await importUserModule(file, cwd);
  if (typeof value !== 'function') {
    throw new InfraUsageError(
      `${source} must export a function as default: end it with \`export default defineExtension(({ chart, stack }) => {...})\``,
    );
  }
  return { extend: value as StackExtension, source };
}

/**
 * Imports a user's module (qctl.config.ts, qctl.extensions.ts) and returns its default export and
 * how to name the file in messages (relative to `cwd` when inside it). A load error becomes one
 * usage line; tsImport of a CommonJS-looking module can nest the default export once more.
 */
async function importUserModule(file: string, cwd: string): Promise<{ value: unknown; source: string }> {
  const rel = relative(resolve(cwd), file);
  const source = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  let module: { default?: unknown };
  try {
    module = await importConfigModule(file);
  } catch (error) {
    // The compiler's message often starts "Transform failed with 1 error:" and says what on the
    // next line: keep every line, joined into one.
    const message = error instanceof Error ? error.message : String(error);
    throw new InfraUsageError(
      `${source} failed to load: ${message
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' ')}`,
    );
  }
  let value = module.default;
  if (value && typeof value === 'object' && 'default' in value && Object.keys(value).length === 1) {
    value = (value as { default: unknown }).default;
  }
  return { value, source };
}

/**
 * Imports a config module. Under tsx (qctl from source) a plain import handles TypeScript
 * already; a second tsx instance would cost a few hundred ms. The compiled CLI on Node 20
 * cannot import .ts, so it falls back to importTypeScript (esbuild, no loader hooks).
 */
async function importConfigModule(file: string): Promise<{ default?: unknown }> {
  try {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    // Its imports are unknown here: the synth cache (infra/synth-cache.ts) cannot tell when it changes.
    userModules.untracked = true;
    return module;
  } catch (error) {
    // Outside an ESM package, or without tsx loaded: let esbuild decide (its error is the one reported).
    if (!/\.m?ts$/.test(file)) throw error;
    return (await importTypeScript(file)) as { default?: unknown };
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type SchemaNode = z.ZodType & { def: Record<string, unknown> & { type: string } };

/**
 * Turns `--set key=value` pairs into one override each, typed by the settings schema:
 * numbers and booleans are parsed, `null` clears a nullable setting, lists are comma-separated.
 */
export function parseSetArguments(pairs: string[]): Array<{ source: string; values: SettingsOverride }> {
  return pairs.map((pair) => {
    const shown = shownPair(pair);
    const source = `--set ${shown}`;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InfraUsageError(`invalid --set "${shown}": use key=value, e.g. --set api.replicas=2`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1);
    const parts = key.split('.');
    // Setting names only: an empty segment or an Object.prototype name (__proto__, constructor)
    // would otherwise walk off the schema or pollute the override object.
    // Own keys only: a user's key must never find Object.prototype's toString or constructor.
    const renamed = Object.hasOwn(RENAMED_SETTINGS, key) ? RENAMED_SETTINGS[key] : undefined;
    if (renamed) throw new InfraUsageError(`invalid --set "${shown}": setting "${key}" is gone: ${renamed}`);
    const badPart = parts.find((part) => !/^[A-Za-z0-9][\w-]*$/.test(part) || FORBIDDEN_KEYS.has(part));
    if (badPart !== undefined) {
      throw new InfraUsageError(
        `invalid --set "${shown}": "${badPart}" is not a setting name; use a dotted path of setting names, e.g. --set api.replicas=2`,
      );
    }
    let node = environmentSettingsSchema as unknown as SchemaNode;
    let freeForm = false;
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i]!;
      if (node.def.type === 'record') {
        freeForm = true;
        break;
      }
      const shape = node.def.type === 'object' ? (node as unknown as { shape: Record<string, SchemaNode> }).shape : undefined;
      const next = shape && Object.hasOwn(shape, part) ? shape[part] : undefined;
      if (!next) {
        const prefix = parts.slice(0, i).join('.');
        const valid = shape ? Object.keys(shape).map((k) => (prefix ? `${prefix}.${k}` : k)) : [];
        throw new InfraUsageError(
          `invalid --set "${shown}": unknown setting "${key}"${valid.length ? `; valid keys: ${valid.join(', ')}` : ` ("${prefix}" is a value, not a group)`}`,
        );
      }
      node = next;
    }
    const value = freeForm ? guessScalar(raw) : coerce(node, raw, pair, key);
    const values: Record<string, unknown> = {};
    let cursor = values;
    parts.forEach((part, index) => {
      if (index === parts.length - 1) cursor[part] = value;
      else cursor = (cursor[part] = {}) as Record<string, unknown>;
    });
    return { source, values: values as SettingsOverride };
  });
}

function coerce(node: SchemaNode, raw: string, pair: string, key: string): unknown {
  const type = node.def.type;
  if (type === 'nullable') {
    if (raw === 'null') return null;
    return coerce(node.def.innerType as SchemaNode, raw, pair, key);
  }
  const fail = (expected: string): never => {
    throw new InfraUsageError(`invalid --set "${shownPair(pair)}": ${key} expects ${expected}`);
  };
  switch (type) {
    case 'number': {
      if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) fail('a number');
      return Number(raw);
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') fail('true or false');
      return raw === 'true';
    case 'array':
      return raw.trim() === '' ? [] : raw.split(',').map((item) => coerce(node.def.element as SchemaNode, item.trim(), pair, key));
    case 'object':
      return fail(
        `a group of settings: set one of its keys, e.g. ${key}.${Object.keys((node as unknown as { shape: object }).shape)[0]}=...`,
      );
    case 'record':
      return fail(`a group of settings: set one of its keys, e.g. ${key}.name=value`);
    default:
      return raw;
  }
}

/** A pair with a newline or escape inside is shown quoted (`\\n` visible), so every message stays one line. */
function shownPair(pair: string): string {
  return /[\u0000-\u001f\u007f]/.test(pair) ? JSON.stringify(pair) : pair;
}

function guessScalar(raw: string): unknown {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}
