import { API_NAME, GRAFANA_NAME, GRAFANA_PORT, PROMETHEUS_NAME, PROMETHEUS_PORT } from '../../infra/monitoring/names.js';
import type { Kube } from '../kube/client.js';
import type { KubeObject } from '../kube/objects.js';

/**
 * Where the stack can be reached once it is up: the Ingress and HTTPRoute hosts, a NodePort on
 * a node's address, and port-forward commands for the API, Grafana and Prometheus (for
 * clusters without an ingress controller).
 */
export type AccessInfo = { urls: { name: string; url: string }[]; portForward: { name: string; url: string; command: string }[] };

const FORWARDED: Record<string, number> = { [API_NAME]: 8080, [GRAFANA_NAME]: GRAFANA_PORT, [PROMETHEUS_NAME]: PROMETHEUS_PORT };

/** `nodeAddress`: where a NodePort is reached (see nodeAddress()); a placeholder when unknown. */
export function accessInfo(objects: KubeObject[], cluster: string, nodeAddress = '<node-ip>'): AccessInfo {
  const urls: AccessInfo['urls'] = [];
  for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
    const spec = (ingress.spec ?? {}) as { rules?: { host?: string }[]; tls?: { hosts?: string[] }[] };
    const tlsHosts = new Set((spec.tls ?? []).flatMap((t) => t.hosts ?? []));
    for (const rule of spec.rules ?? []) {
      if (rule.host) urls.push({ name: ingress.metadata.name, url: `${tlsHosts.has(rule.host) ? 'https' : 'http'}://${rule.host}/` });
    }
  }
  const httpsHosts = new Set(
    objects
      .filter((o) => o.kind === 'Gateway')
      .flatMap((g) => ((g.spec ?? {}) as { listeners?: { protocol: string; hostname?: string }[] }).listeners ?? [])
      .filter((l) => l.protocol === 'HTTPS' && l.hostname)
      .map((l) => l.hostname!),
  );
  for (const route of objects.filter((o) => o.kind === 'HTTPRoute')) {
    for (const host of ((route.spec ?? {}) as { hostnames?: string[] }).hostnames ?? []) {
      urls.push({ name: route.metadata.name, url: `${httpsHosts.has(host) ? 'https' : 'http'}://${host}/` });
    }
  }
  for (const service of objects.filter(isNodePort)) {
    for (const port of ((service.spec ?? {}) as { ports?: { nodePort?: number }[] }).ports ?? []) {
      if (port.nodePort !== undefined) urls.push({ name: service.metadata.name, url: `http://${nodeAddress}:${port.nodePort}/` });
    }
  }
  const kubectl = cluster === 'microk8s' ? 'microk8s kubectl' : 'kubectl';
  const portForward: AccessInfo['portForward'] = [];
  for (const service of objects.filter((o) => o.kind === 'Service' && FORWARDED[o.metadata.name] !== undefined)) {
    const port = ((service.spec ?? {}) as { ports?: { port: number }[] }).ports?.[0]?.port;
    if (port === undefined) continue;
    const local = FORWARDED[service.metadata.name]!;
    portForward.push({
      name: service.metadata.name,
      url: `http://127.0.0.1:${local}/`,
      command: `${kubectl} -n ${service.metadata.namespace} port-forward svc/${service.metadata.name} ${local}:${port}`,
    });
  }
  return { urls, portForward };
}

type NodeAddress = { type: string; address: string };

/** A node's address for NodePort URLs (ExternalIP before InternalIP), or undefined when no node has one. */
export async function nodeAddress(kube: Kube): Promise<string | undefined> {
  const nodes = await kube.list('v1', 'Node').catch(() => []);
  const addresses = nodes.flatMap((n) => ((n.status ?? {}) as { addresses?: NodeAddress[] }).addresses ?? []);
  for (const type of ['ExternalIP', 'InternalIP']) {
    const found = addresses.find((a) => a.type === type);
    if (found) return found.address.includes(':') ? `[${found.address}]` : found.address;
  }
  return undefined;
}

/** Whether the objects expose a NodePort (only then is a node's address worth asking the cluster for). */
export function hasNodePort(objects: KubeObject[]): boolean {
  return objects.some(isNodePort);
}

function isNodePort(object: KubeObject): boolean {
  return object.kind === 'Service' && (object.spec as { type?: string } | undefined)?.type === 'NodePort';
}
