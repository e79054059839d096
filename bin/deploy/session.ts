import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../cli/duration.js';
import { parseEnv } from '../cli/env.js';
import { usageError } from '../cli/errors.js';
import { deployFlavour, type DeployFlavour } from './clusters.js';
import { namespaceFor, type EnvironmentName } from '../../infra/environment-names.js';
import { Kube, loadKubeTarget, resolveKubeTarget } from '../kube/client.js';

/**
 * What every cluster command shares: the environment, the cluster flavour, the kube context
 * and the connection, resolved and checked before anything else happens. `qctl up` remembers
 * the cluster and context per environment in .qctl/deploy.json (git-ignored) so that
 * `status`, `diff` and `down` find the same cluster without repeating the flags.
 */
export type ClusterFlags = { env?: string; cluster?: string; context?: string };

export type Session = { env: EnvironmentName; namespace: string; flavour: DeployFlavour; kube: Kube; serverVersion: string };

type LocalState = Record<string, { cluster: string; context: string }>;

const statePath = (root: string) => join(root, '.qctl', 'deploy.json');

function readState(root: string): LocalState {
  try {
    return existsSync(statePath(root)) ? (JSON.parse(readFileSync(statePath(root), 'utf8')) as LocalState) : {};
  } catch {
    return {};
  }
}

export function rememberTarget(root: string, env: string, cluster: string, context: string): void {
  const state = readState(root);
  state[env] = { cluster, context };
  mkdirSync(join(root, '.qctl'), { recursive: true });
  writeFileSync(statePath(root), `${JSON.stringify(state, null, 2)}\n`);
}

/** The deadline per object: --timeout, default 5m. */
export function parseTimeout(value: string | undefined): number {
  const ms = parseDuration(value ?? '5m', '--timeout');
  // A bare 0 parses as a number of seconds; a deadline of nothing would fail every wait.
  if (ms <= 0) throw usageError(`invalid --timeout "${value}": it must be greater than zero, e.g. 90s or 5m`);
  return ms;
}

/** Poll interval of waits; QCTL_POLL_MS lets tests (and impatient people) shorten it. */
export function pollInterval(): number {
  const value = Number(process.env.QCTL_POLL_MS ?? '');
  return Number.isFinite(value) && value > 0 ? value : 2000;
}

/**
 * Where a cluster command acts, parsed from its flags once (by the command, at the edge): the
 * environment, its namespace, the cluster flavour and the context to prefer.
 */
export type DeployTarget = {
  env: EnvironmentName;
  namespace: string;
  flavour: DeployFlavour;
  context?: string;
  preferredContext?: string;
};

/** Validates the flags that need no cluster (exit 2 before any network call). */
export function parseTarget(root: string, flags: ClusterFlags): DeployTarget {
  const env = parseEnv(flags.env);
  const remembered = readState(root)[env];
  const flavour = deployFlavour(flags.cluster ?? remembered?.cluster ?? 'microk8s');
  const preferredContext = flags.cluster === undefined || flags.cluster === remembered?.cluster ? remembered?.context : undefined;
  return { env, namespace: namespaceFor(env), flavour, context: flags.context, preferredContext };
}

/**
 * The client of `qctl load --env`: --context, else the context the last `up` used for the
 * environment (as status, diff and down), else the kubeconfig's current context.
 */
export async function openLoadClient(root: string, env: EnvironmentName, context?: string): Promise<Kube> {
  const remembered = readState(root)[env];
  const { startHint } = deployFlavour(remembered?.cluster ?? 'microk8s');
  const kube = new Kube(loadKubeTarget({ context, preferredContext: remembered?.context, startHint }));
  // The same one-line failure as up and status, before any load-specific call.
  await kube.checkReachable(startHint);
  return kube;
}

/** Reaches the target's cluster (one clean line when it cannot). */
export async function openSession(target: DeployTarget): Promise<Session> {
  const { env, namespace, flavour, context, preferredContext } = target;
  const kubeTarget = await resolveKubeTarget({ flavour, context, preferredContext });
  const kube = new Kube(kubeTarget);
  const serverVersion = await kube.checkReachable(flavour.startHint);
  return { env, namespace, flavour, kube, serverVersion };
}
