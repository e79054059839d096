import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getClusterFlavour, type ClusterName } from './clusters.js';
import { loadConfigFile, loadExtensionFile, type MonitoringMode, type QctlConfig } from './config.js';
import { createSynthContext, type SynthContext } from './context.js';
import { assertEnvironmentName, ENVIRONMENT_NAMES, getEnvironment, type EnvironmentName } from './environments.js';
import { InfraUsageError } from './errors.js';
import type { QuoteStack, StackExtension } from './extension.js';
import { ignoredSettings } from './ignored-settings.js';
import { imageFromSettings } from './image.js';
import { parseSynthChoices, parseSynthFlags, type SettingsLayer, type SynthFlags, type SynthRequest } from './request.js';
import { ManifestScope, type KubeObject } from './scope.js';
import { buildStacks } from './stack.js';

export type { KubeObject } from './scope.js';
export type { SynthContext } from './context.js';
export type { MonitoringMode, QctlConfig } from './config.js';
export type { QuoteStack, StackExtension, StackExtensionContext } from './extension.js';
export { buildStacks } from './stack.js';
export { parseMonitoringMode, parseSynthChoices, parseSynthFlags } from './request.js';
export type { SettingsLayer, SynthChoices, SynthFlags, SynthRequest } from './request.js';

export const DEFAULT_CLUSTER: ClusterName = 'microk8s';
export const DEFAULT_MONITORING: MonitoringMode = 'self';

/** The stack, then the user's extension (if any) in its own chart, 50-extensions.yaml. */
export function buildEnvironment(scope: ManifestScope, ctx: SynthContext, extend?: StackExtension): QuoteStack {
  const stack = buildStacks(scope, ctx);
  if (extend) {
    const chart = scope.extensionChart(ctx.env.name, ctx.namespace);
    extend({ chart, stack, env: ctx.env.name, namespace: ctx.namespace });
  }
  return stack;
}

/** The raw flags of a synth (parsed by parseSynthFlags) and where its config comes from. */
export interface SynthesizeOptions extends SynthFlags {
  /** A config object, a path to a config file, or false for none. Default: qctl.config.ts in `cwd` if present. */
  config?: QctlConfig | string | false;
  cwd?: string;
}

export interface SynthFile {
  /** e.g. `00-namespace.yaml`; files are in apply order. */
  name: string;
  objects: KubeObject[];
}

export interface SynthResult {
  env: EnvironmentName;
  namespace: string;
  cluster: ClusterName;
  image: string;
  monitoring: MonitoringMode;
  files: SynthFile[];
  /** All objects in apply order (file order, then order within the file). */
  objects: KubeObject[];
  context: SynthContext;
  /** Settings the user set that have no effect given the others, one line each (callers warn on stderr). */
  ignored: string[];
}

/**
 * Resolves a `config` option to a config object (loading qctl.config.ts when asked), with the
 * extension module (qctl.extensions.ts or the config's `extensions`) loaded into `extend`.
 */
export async function resolveConfig(config: SynthesizeOptions['config'], cwd?: string): Promise<{ config: QctlConfig; source: string }> {
  if (config === false) return { config: {}, source: 'no config' };
  const loaded =
    typeof config === 'object'
      ? { config, source: 'config' }
      : ((await loadConfigFile(config, cwd)) ?? { config: {}, source: 'no config' });
  if (loaded.config.extend) return loaded;
  const extension = await loadExtensionFile(loaded.config.extensions, cwd);
  if (!extension) return loaded;
  return { ...loaded, config: { ...loaded.config, extend: reportedAs(extension.source, extension.extend) } };
}

/** An error thrown by the user's extension names its file and stops synth with exit code 2. */
function reportedAs(source: string, extend: StackExtension): StackExtension {
  return (context) => {
    try {
      extend(context);
    } catch (error) {
      if (error instanceof InfraUsageError) throw error;
      throw new InfraUsageError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

/**
 * Builds every object of one environment from raw options (the library edge: they are parsed
 * here, once). Pure apart from reading qctl.config.ts: no kube context, no clock, no
 * randomness, so two runs give identical output. Throws InfraUsageError (exitCode 2) for bad input.
 */
export async function synthesize(options: SynthesizeOptions): Promise<SynthResult> {
  const request = parseSynthFlags(options);
  return synthesizeFor(request, options);
}

/** synthesizeRequest() with qctl.config.ts (or the given config) loaded first. */
export async function synthesizeFor(request: SynthRequest, where: Pick<SynthesizeOptions, 'config' | 'cwd'> = {}): Promise<SynthResult> {
  const { config, source } = await resolveConfig(where.config, where.cwd);
  return synthesizeRequest(request, config, source);
}

/** Builds one environment from a parsed request and a loaded config (e.g. loaded once for `--all`). */
export function synthesizeRequest(request: SynthRequest, config: QctlConfig, configSource = 'config'): SynthResult {
  const envName = request.env;
  const cluster = request.cluster ?? getClusterFlavour(config.cluster ?? DEFAULT_CLUSTER);
  const monitoring = request.monitoring ?? config.monitoring ?? DEFAULT_MONITORING;
  const layers: SettingsLayer[] = [];
  if (config.defaults) layers.push({ source: `${configSource} defaults`, values: config.defaults });
  const perEnv = config.environments?.[envName];
  if (perEnv) layers.push({ source: `${configSource} environments.${envName}`, values: perEnv });
  layers.push(...(request.overrides ?? []));
  const env = getEnvironment(envName, layers);
  const image = request.image ?? imageFromSettings(env.image);

  const ctx = createSynthContext({ env, cluster, image, monitoring });
  const scope = new ManifestScope();
  buildEnvironment(scope, ctx, config.extend);
  const files = scope.toFiles();
  return {
    env: envName,
    namespace: ctx.namespace,
    cluster: cluster.name,
    image: image.ref,
    monitoring,
    files,
    objects: files.flatMap((file) => file.objects),
    context: ctx,
    ignored: ignoredSettings(envName, env, layers),
  };
}

export { renderFiles, writeSynthOutput } from './synth-output.js';

/**
 * `cdk8s synth` (cdk8s.yaml) and `npx tsx infra/main.ts` land here: every environment (or
 * QCTL_ENV) through cdk8s' own App.synth() into $CDK8S_OUTDIR/<env>/ (default dist/).
 */
async function runAsCdk8sApp(): Promise<void> {
  const outdir = process.env.CDK8S_OUTDIR ?? 'dist';
  const envs = process.env.QCTL_ENV ? [assertEnvironmentName(process.env.QCTL_ENV)] : [...ENVIRONMENT_NAMES];
  const { config, source } = await resolveConfig(undefined);
  const cluster = process.env.QCTL_CLUSTER === undefined ? undefined : getClusterFlavour(process.env.QCTL_CLUSTER);
  const { image } = parseSynthChoices({ image: process.env.QCTL_IMAGE });
  for (const env of envs) {
    const result = synthesizeRequest({ env, cluster, image }, config, source);
    const scope = new ManifestScope(join(outdir, env));
    buildEnvironment(scope, result.context, config.extend);
    scope.app.synth();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  runAsCdk8sApp().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof InfraUsageError ? 2 : 1;
  });
}
