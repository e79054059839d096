import { createServer, type Server, type Socket } from 'node:net';
import { loadConfigFile } from '../../infra/config.js';
import { getEnvironment, type Environment } from '../../infra/environments.js';
import { API_NAME } from '../../infra/monitoring/names.js';
import { usageError } from '../cli/errors.js';

export interface EnvironmentTarget {
  url: URL;
  own: true;
  /** Closes the port-forward when there is one. */
  close(): Promise<void>;
}

/** The environment's settings with qctl.config.ts applied. */
export async function loadEnvironment(name: string): Promise<Environment> {
  const file = await loadConfigFile();
  const layers = [];
  if (file?.config.defaults) layers.push({ source: `${file.source} defaults`, values: file.config.defaults });
  const own = file?.config.environments?.[name as keyof NonNullable<typeof file.config.environments>];
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
  name: string,
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
  const [{ openLoadClient }, { apiErrorMessage }] = await Promise.all([import('../deploy/session.js'), import('../kube/client.js')]);
  const kube = openLoadClient(process.cwd(), environment.name, context);
  let podName: string | undefined;
  try {
    const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${API_NAME}` });
    podName = pods.items.find(
      (p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )?.metadata?.name;
  } catch (error) {
    throw usageError(`cannot list the API pods in ${namespace} (${apiErrorMessage(error)}): check the cluster, or give the URL explicitly`);
  }
  if (!podName)
    throw usageError(`no ready ${API_NAME} pod in ${namespace} to port-forward to: run \`qctl status\`, or give the URL explicitly`);
  const forward = kube.portForward();
  const sockets = new Set<Socket>();
  const webSockets = new Set<{ close(): void }>();
  // One WebSocket per forwarded TCP connection; each is closed with its connection, and all with the forward.
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let webSocket: { close(): void } | undefined;
    socket.on('close', () => {
      sockets.delete(socket);
      if (webSocket) {
        webSockets.delete(webSocket);
        webSocket.close();
      }
    });
    forward.portForward(namespace, podName!, [8080], socket, null, socket).then(
      (opened) => {
        webSocket = typeof opened === 'function' ? (opened() ?? undefined) : opened;
        if (!webSocket) return;
        if (socket.destroyed) webSocket.close();
        else webSockets.add(webSocket);
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stderr.write(`qctl load: port-forward 127.0.0.1:${port} -> ${namespace}/${podName}:8080\n`);
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    own: true,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      for (const webSocket of webSockets) webSocket.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
