import { loadConfigFile } from '../../infra/config.js';
import { getEnvironment, type Environment, type EnvironmentName } from '../../infra/environments.js';
import { API_NAME } from '../../infra/monitoring/names.js';

export interface EnvironmentTarget {
  url: URL;
  own: true;
  /** Closes the port-forward when there is one. */
  close(): Promise<void>;
}

/** The environment's settings with qctl.config.ts applied. */
export async function loadEnvironment(name: EnvironmentName): Promise<Environment> {
  const file = await loadConfigFile();
  const layers = [];
  if (file?.config.defaults) layers.push({ source: `${file.source} defaults`, values: file.config.defaults });
  const own = file?.config.environments?.[name];
  if (file && own) layers.push({ source: `${file.source} environments.${name}`, values: own });
  return getEnvironment(name, layers);
}

/** The host URL of an environment (ingress and gateway modes), or null when it has none. */
export function ingressUrl(environment: Environment): URL | null {
  const routed = environment.ingress.mode === 'ingress' || environment.ingress.mode === 'gateway';
  if (!routed || !environment.ingress.host) return null;
  const scheme = environment.ingress.tlsSecretName ? 'https' : 'http';
  return new URL(`${scheme}://${environment.ingress.host}/`);
}

/**
 * `--env E` without a URL: the environment's ingress when it has one; otherwise a port-forward
 * to a ready API pod that qctl opens on 127.0.0.1 for the run and closes afterwards.
 */
export async function resolveEnvironmentTarget(
  name: EnvironmentName,
  options: { context?: string; portForward?: boolean },
): Promise<EnvironmentTarget> {
  const environment = await loadEnvironment(name);
  const url = options.portForward ? null : ingressUrl(environment);
  if (url) return { url, own: true, close: async () => undefined };
  return openPortForward(environment, options.context);
}

async function openPortForward(environment: Environment, context?: string): Promise<EnvironmentTarget> {
  const { namespace } = environment;
  // Loaded only here: the Kubernetes client costs about a second of start-up that the ingress path does not need.
  const [{ openLoadClient }, { forwardToReadyPod }] = await Promise.all([
    import('../deploy/session.js'),
    import('../kube/port-forward.js'),
  ]);
  const kube = await openLoadClient(process.cwd(), environment.name, context);
  const forward = await forwardToReadyPod(kube, {
    namespace,
    labelSelector: `app.kubernetes.io/name=${API_NAME}`,
    port: 8080,
    what: API_NAME,
    fix: 'give the URL explicitly',
  });
  process.stderr.write(`qctl load: port-forward ${forward.url.host} -> ${namespace}/${forward.pod}:8080\n`);
  return { url: forward.url, own: true, close: forward.close };
}
