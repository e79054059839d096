import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  PortForward,
  VersionApi,
} from '@kubernetes/client-node';
// Not re-exported by the package index; needed to convert between wire JSON and the client's models.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { execa } from 'execa';
import { JobError, UsageError, usageError } from '../cli/errors.js';
import { describeRef, FIELD_MANAGER, type KubeObject, type ObjectRef } from './objects.js';

/** What picking a kubeconfig context needs of a cluster flavour (deploy's DeployFlavour is one). */
export type ContextMatcher = { name: string; matchesContext(context: string): boolean; startHint: string };

/** What qctl reads of one container's log for a diagnosis (its last lines, not a transcript). */
export const MAX_LOG_BYTES = 64 * 1024;

/** No cluster to talk to (no kubeconfig, `microk8s config` failed, API unreachable): exit 2, but a dry run can go on offline. */
export class NoClusterError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'NoClusterError';
  }
}

/** Where the kubeconfig came from, for messages. */
export type KubeTarget = { kc: KubeConfig; context: string; server: string; source: string };

export type ResolveOptions = {
  flavour: ContextMatcher;
  /** --context: must exist in the kubeconfig. */
  context?: string;
  /** The context the last `up` used for this env: taken when it still exists. */
  preferredContext?: string;
  /** Defaults to $KUBECONFIG or ~/.kube/config. */
  kubeconfigPath?: string;
};

function defaultKubeconfigPath(): string {
  const fromEnv = process.env.KUBECONFIG?.split(':').find(Boolean);
  return fromEnv ?? join(homedir(), '.kube', 'config');
}

/**
 * Picks the kubeconfig and context: `--context` when given (it must exist); else the current
 * context when it belongs to the flavour; else the first context that does; for microk8s with
 * no matching context, `microk8s config`.
 */
export async function resolveKubeTarget(options: ResolveOptions): Promise<KubeTarget> {
  const path = options.kubeconfigPath ?? defaultKubeconfigPath();
  const kc = new KubeConfig();
  let loaded = false;
  if (existsSync(path)) {
    try {
      kc.loadFromFile(path);
      loaded = true;
    } catch (error) {
      throw usageError(
        `cannot read kubeconfig ${path}: ${(error as Error).message.split('\n')[0]}; fix the file or point KUBECONFIG at another one`,
      );
    }
  }
  const names = loaded ? kc.getContexts().map((c) => c.name) : [];
  if (options.context !== undefined) {
    if (!names.includes(options.context)) {
      throw usageError(
        `context "${options.context}" is not in kubeconfig ${path}${names.length ? ` (it has: ${names.join(', ')})` : ' (it has no contexts)'}: pick one with --context or fix KUBECONFIG`,
      );
    }
    kc.setCurrentContext(options.context);
    return target(kc, path);
  }
  if (options.preferredContext && names.includes(options.preferredContext)) {
    kc.setCurrentContext(options.preferredContext);
    return target(kc, path);
  }
  const current = loaded ? kc.getCurrentContext() : '';
  const { flavour } = options;
  let chosen = current && names.includes(current) && flavour.matchesContext(current) ? current : undefined;
  chosen ??= flavour.name === 'generic' ? undefined : names.find((n) => flavour.matchesContext(n));
  if (chosen) {
    kc.setCurrentContext(chosen);
    return target(kc, path);
  }
  if (flavour.name === 'microk8s') return microk8sConfig();
  if (names.length)
    throw usageError(`no kubeconfig context for ${flavour.name} in ${path} (it has: ${names.join(', ')}): pass --context NAME`);
  throw new NoClusterError(`no kubeconfig found at ${path}: start the cluster (${flavour.startHint}) or set KUBECONFIG`);
}

async function microk8sConfig(): Promise<KubeTarget> {
  const result = await execa('microk8s', ['config'], { reject: false });
  if (result.failed || result.exitCode !== 0) {
    const reason =
      result.code === 'ENOENT'
        ? 'microk8s is not installed (sudo snap install microk8s --classic)'
        : String(result.stderr || result.message || 'unknown error').split('\n')[0];
    throw new NoClusterError(`no microk8s context in kubeconfig and \`microk8s config\` failed: ${reason}`);
  }
  const kc = new KubeConfig();
  kc.loadFromString(result.stdout);
  return target(kc, '`microk8s config`');
}

/**
 * The kubeconfig of `qctl load --env` ($KUBECONFIG, merged, or ~/.kube/config): `--context` when
 * given (it must exist); else the context the last `up` used for the environment, when it
 * still exists; else the current context. Load has no cluster flavour to match contexts by.
 */
export function loadKubeTarget(options: { context?: string; preferredContext?: string; startHint?: string } = {}): KubeTarget {
  // Without a kubeconfig client-node falls back to http://localhost:8080 and every call then fails
  // with "HTTP protocol is not allowed when skipTLSVerify is not set": say what is missing instead.
  const path = defaultKubeconfigPath();
  if (!existsSync(path) && !process.env.KUBERNETES_SERVICE_HOST) {
    throw new NoClusterError(
      `no kubeconfig found at ${path}: start the cluster${options.startHint ? ` (${options.startHint})` : ''} or set KUBECONFIG`,
    );
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw usageError(`cannot read the kubeconfig: ${(error as Error).message.split('\n')[0]}; fix it or point KUBECONFIG at another file`);
  }
  const names = kc.getContexts().map((c) => c.name);
  if (options.context !== undefined) {
    if (!names.includes(options.context)) {
      throw usageError(
        `context "${options.context}" is not in the kubeconfig${names.length ? ` (it has: ${names.join(', ')})` : ''}: pick one with --context`,
      );
    }
    kc.setCurrentContext(options.context);
  } else if (options.preferredContext !== undefined && names.includes(options.preferredContext)) {
    kc.setCurrentContext(options.preferredContext);
  }
  if (!kc.getCurrentCluster()) {
    throw usageError('no Kubernetes cluster in the kubeconfig: set KUBECONFIG, or run `qctl up` first');
  }
  return target(kc, 'the kubeconfig');
}

function target(kc: KubeConfig, source: string): KubeTarget {
  reuseConnections(kc);
  return { kc, context: kc.getCurrentContext(), server: kc.getCurrentCluster()?.server ?? '(no server)', source };
}

type AgentFactory = (cluster: unknown, options: Record<string, unknown>) => unknown;

/**
 * client-node makes a new https.Agent for every request, so each call pays a new TCP connection
 * and TLS handshake (a no-op `qctl up` makes dozens of calls; kubectl keeps one connection). One
 * keep-alive agent per distinct set of options lets the calls share connections; idle sockets do
 * not keep the process alive (Node unrefs them).
 */
function reuseConnections(kc: KubeConfig): void {
  const patched = kc as unknown as { createAgent: AgentFactory };
  const create = patched.createAgent.bind(kc);
  const agents = new Map<string, unknown>();
  patched.createAgent = (cluster, options) => {
    const key = JSON.stringify([(cluster as { server?: string } | null)?.server, options]);
    let agent = agents.get(key);
    if (!agent) {
      agent = create(cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
}

/** Turns client-node errors into one line: the API's own message when it sent one. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof ApiException) {
    let body: unknown = error.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* plain text body */
      }
    }
    const message =
      body && typeof body === 'object' && 'message' in body ? String((body as { message: unknown }).message) : String(body ?? '');
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  if (error instanceof Error) return error.message.split('\n')[0]!;
  return String(error);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/**
 * client-node serializes request bodies through its typed models, which rename some fields
 * (a NetworkPolicy rule's `from` is `_from` in the model): a plain JSON object would silently
 * lose them (an ingress rule without `from` admits everyone). So objects are converted into
 * the model before a call and back into wire JSON after it. Kinds the client has no model for
 * (ServiceMonitor, ...) pass through unchanged.
 */
function modelType(apiVersion: string, kind: string): string {
  const version = apiVersion.includes('/') ? apiVersion.split('/')[1]! : apiVersion;
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

function toModel(object: KubeObject): KubeObject {
  return ObjectSerializer.deserialize(structuredClone(object), modelType(object.apiVersion, object.kind), '') as KubeObject;
}

function toWire<T>(value: unknown, apiVersion: string | undefined, kind: string | undefined): T {
  const serialized = apiVersion && kind ? ObjectSerializer.serialize(value, modelType(apiVersion, kind), '') : value;
  return JSON.parse(JSON.stringify(serialized)) as T;
}

type Typed = { apiVersion?: string; kind?: string };

/** KubernetesObjectApi with its discovery lookup made public (is a kind served?). */
class ObjectApi extends KubernetesObjectApi {
  static fromConfig(kc: KubeConfig): ObjectApi {
    const client = kc.makeApiClient(ObjectApi);
    client.setDefaultNamespace(kc);
    return client;
  }

  lookup(apiVersion: string, kind: string): Promise<unknown> {
    return this.resource(apiVersion, kind);
  }
}

/**
 * The one Kubernetes client of qctl (deploy, status, diff, down, load), over
 * @kubernetes/client-node. Every mutating call goes through here, so `--dry-run` and tests
 * can reason about them in one place.
 */
export class Kube {
  readonly objects: ObjectApi;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly autoscaling: AutoscalingV2Api;

  constructor(readonly target: KubeTarget) {
    this.objects = ObjectApi.fromConfig(target.kc);
    this.core = target.kc.makeApiClient(CoreV1Api);
    this.apps = target.kc.makeApiClient(AppsV1Api);
    this.autoscaling = target.kc.makeApiClient(AutoscalingV2Api);
  }

  /** Forwards connections to pod ports over WebSockets (as kubectl port-forward). */
  portForward(): PortForward {
    return new PortForward(this.target.kc, true);
  }

  /** Fails with one line when the API server cannot be reached or refuses us. */
  async checkReachable(startHint: string): Promise<string> {
    try {
      const version = await this.target.kc.makeApiClient(VersionApi).getCode();
      return version.gitVersion;
    } catch (error) {
      const reason = error instanceof ApiException ? apiErrorMessage(error) : connectionReason(error);
      throw new NoClusterError(
        `cannot reach the Kubernetes API at ${this.target.server} (context ${this.target.context}): ${reason}; start the cluster (${startHint}) or pick another --context`,
      );
    }
  }

  /** Is this kind served by the cluster (discovery)? */
  async served(apiVersion: string, kind: string): Promise<boolean> {
    try {
      return (await this.objects.lookup(apiVersion, kind)) !== undefined;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async read(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      const object = await this.objects.read({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      });
      return toWire<KubeObject>(object, (object as Typed).apiVersion ?? ref.apiVersion, (object as Typed).kind ?? ref.kind);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw new JobError(`cannot read ${describeRef(ref)}: ${apiErrorMessage(error)}`);
    }
  }

  /** Server-side apply with field manager `qctl`, taking over conflicting fields (we own these objects). */
  async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeObject> {
    try {
      const result = await this.objects.patch(
        toModel(object),
        undefined,
        options.dryRun ? 'All' : undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
      return toWire<KubeObject>(result, (result as Typed).apiVersion ?? object.apiVersion, (result as Typed).kind ?? object.kind);
    } catch (error) {
      throw new JobError(
        `apply ${describeRef({ ...object.metadata, apiVersion: object.apiVersion, kind: object.kind })} failed: ${apiErrorMessage(error)}`,
      );
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace?: string,
    selectors: { label?: string; field?: string } = {},
  ): Promise<KubeObject[]> {
    try {
      const result = await this.objects.list(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        selectors.field,
        selectors.label,
      );
      const list = toWire<{ items?: KubeObject[] }>(
        result,
        (result as Typed).apiVersion ?? apiVersion,
        (result as Typed).kind ?? `${kind}List`,
      );
      // A real server sends kind and apiVersion on the list only, never on its items; every
      // caller (status, prune, waits) reads them, so they are put back here, in one place.
      return (list.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw new JobError(`cannot list ${kind}${namespace ? ` in ${namespace}` : ''}: ${apiErrorMessage(error)}`);
    }
  }

  /** Deletes; returns false when it was already gone. */
  async delete(ref: ObjectRef, options: { dryRun?: boolean } = {}): Promise<boolean> {
    try {
      await this.objects.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
        undefined,
        options.dryRun ? 'All' : undefined,
        undefined,
        undefined,
        'Background',
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw new JobError(`delete ${describeRef(ref)} failed: ${apiErrorMessage(error)}`);
    }
  }

  /** The last lines a container logged (at most MAX_LOG_BYTES of them) (the previous instance's after a crash), or '' when unavailable. */
  async logs(
    namespace: string,
    pod: string,
    options: { container?: string; previous?: boolean; tailLines?: number } = {},
  ): Promise<string> {
    try {
      const text = await this.core.readNamespacedPodLog({
        name: pod,
        namespace,
        container: options.container,
        previous: options.previous,
        tailLines: options.tailLines ?? 20,
        // 20 lines of one container: a pod that logs megabytes per line must not fill our memory.
        limitBytes: MAX_LOG_BYTES,
      });
      return typeof text === 'string' ? text : String(text ?? '');
    } catch {
      return '';
    }
  }
}

/** One short reason for a failed connection (refused, host not found, timed out, TLS), from a fetch or client error. */
export function connectionReason(error: unknown): string {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error);
  if (/ECONNREFUSED/.test(text)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'host not found';
  if (/ETIMEDOUT|timeout/i.test(text)) return 'timed out';
  if (/certificate|self.signed|CERT/i.test(text)) return 'TLS certificate rejected';
  return text.split('\n')[0]!.trim();
}
