import { API_NAME, GRAFANA_NAME, GRAFANA_PORT, PROMETHEUS_NAME, PROMETHEUS_PORT } from '../../infra/monitoring/names.js';
import type { KubeObject } from './objects.js';

/**
 * Where the stack can be reached once it is up: the Ingress hosts, and port-forward commands
 * for the API, Grafana and Prometheus (for clusters without an ingress controller).
 */
export type AccessInfo = { urls: { name: string; url: string }[]; portForward: { name: string; url: string; command: string }[] };

const FORWARDED: Record<string, number> = { [API_NAME]: 8080, [GRAFANA_NAME]: GRAFANA_PORT, [PROMETHEUS_NAME]: PROMETHEUS_PORT };

export function accessInfo(objects: KubeObject[], cluster: string): AccessInfo {
  const urls: AccessInfo['urls'] = [];
  for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
    const spec = (ingress.spec ?? {}) as { rules?: { host?: string }[]; tls?: { hosts?: string[] }[] };
    const tlsHosts = new Set((spec.tls ?? []).flatMap((t) => t.hosts ?? []));
    for (const rule of spec.rules ?? []) {
      if (rule.host) urls.push({ name: ingress.metadata.name, url: `${tlsHosts.has(rule.host) ? 'https' : 'http'}://${rule.host}/` });
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
