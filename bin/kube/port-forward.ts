import { createServer, type Server, type Socket } from 'node:net';
import { usageError } from '../cli/errors.js';
import { apiErrorMessage, type Kube } from './client.js';

/** A local port on 127.0.0.1 forwarded to a pod's port, open until close(). */
export type PortForwardHandle = { url: URL; pod: string; close(): Promise<void> };

/**
 * Forwards a free 127.0.0.1 port to `port` of a ready pod matching `labelSelector` (as kubectl
 * port-forward does). `fix` ends the message when there is no such pod: what to do instead.
 */
export async function forwardToReadyPod(
  kube: Kube,
  target: { namespace: string; labelSelector: string; port: number; what: string; fix: string },
): Promise<PortForwardHandle> {
  const { namespace, port } = target;
  let podName: string | undefined;
  try {
    const pods = await kube.core.listNamespacedPod({ namespace, labelSelector: target.labelSelector });
    podName = pods.items.find(
      (p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    )?.metadata?.name;
  } catch (error) {
    throw usageError(
      `cannot list the ${target.what} pods in ${namespace} (${apiErrorMessage(error)}): check the cluster, or ${target.fix}`,
    );
  }
  if (!podName) throw usageError(`no ready ${target.what} pod in ${namespace} to port-forward to: run \`qctl status\`, or ${target.fix}`);
  const pod = podName;
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
    forward.portForward(namespace, pod, [port], socket, null, socket).then(
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
  const localPort = typeof address === 'object' && address ? address.port : 0;
  return {
    url: new URL(`http://127.0.0.1:${localPort}/`),
    pod,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      for (const webSocket of webSockets) webSocket.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
