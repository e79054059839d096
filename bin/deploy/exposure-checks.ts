import { usageError } from '../cli/errors.js';
import type { Kube } from '../kube/client.js';
import type { KubeObject } from '../kube/objects.js';

/**
 * Preflight checks of how the API is exposed (ingress.mode) and routed (traffic.mesh): the
 * APIs a mode needs, the Gateway an HTTPRoute attaches to, and a free node port.
 */

/** The Gateway API release whose standard channel serves every field qctl writes (HTTPRoute timeouts). */
export const GATEWAY_API_INSTALL =
  'kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml';

/** What to install when the cluster does not serve an API group the objects need. */
/** The operator CloudNativePG's release manifest; `kubectl apply --server-side` because its CRDs are too large for client-side apply. */
export const CNPG_INSTALL_COMMAND =
  'kubectl apply --server-side -f https://raw.githubusercontent.com/cloudnative-pg/cloudnative-pg/release-1.26/releases/cnpg-1.26.1.yaml';

export function installHint(apiVersion: string): string {
  const group = apiVersion.split('/')[0];
  if (group === 'monitoring.coreos.com') return 'install kube-prometheus-stack or deploy with --monitoring self';
  if (group === 'gateway.networking.k8s.io') {
    return `install the Gateway API CRDs (${GATEWAY_API_INSTALL}) and an implementation (e.g. Istio: microk8s enable istio), or set ingress.mode=ingress`;
  }
  if (group === 'networking.istio.io') return 'install Istio (microk8s enable istio; elsewhere istioctl install) or set traffic.mesh=none';
  if (group === 'postgresql.cnpg.io')
    return `install the CloudNativePG operator (${CNPG_INSTALL_COMMAND}) or deploy with --set postgres.mode=internal`;
  return 'install the API (CRD) it needs or drop the object';
}

type ServicePort = { nodePort?: number };
const nodePortsOf = (service: KubeObject): number[] =>
  (((service.spec ?? {}) as { ports?: ServicePort[] }).ports ?? []).map((p) => p.nodePort).filter((p): p is number => p !== undefined);

/** Refuses a fixed node port another Service of the cluster holds (the apply would fail half-way with "port is already allocated"). */
export async function checkNodePorts(kube: Kube, objects: KubeObject[]): Promise<void> {
  const wanted = objects.filter((o) => o.kind === 'Service' && nodePortsOf(o).length > 0);
  if (wanted.length === 0) return;
  const services = await kube.list('v1', 'Service');
  const taken = new Map<number, KubeObject>();
  for (const service of services) for (const port of nodePortsOf(service)) taken.set(port, service);
  for (const service of wanted) {
    for (const port of nodePortsOf(service)) {
      const holder = taken.get(port);
      if (!holder || (holder.metadata.namespace === service.metadata.namespace && holder.metadata.name === service.metadata.name)) continue;
      let free = 30000;
      while (taken.has(free) && free < 32767) free += 1;
      throw usageError(
        `node port ${port} of Service ${service.metadata.namespace}/${service.metadata.name} is taken by Service ${holder.metadata.namespace}/${holder.metadata.name}: set ingress.nodePort to a free port of 30000-32767, e.g. --set ingress.nodePort=${free}`,
      );
    }
  }
}

/** Refuses a Gateway qctl would create in a namespace that neither exists nor is created (the apply would fail half-way). */
export async function checkGatewayNamespaces(kube: Kube, objects: KubeObject[]): Promise<void> {
  const created = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  for (const gateway of objects.filter((o) => o.kind === 'Gateway')) {
    const namespace = gateway.metadata.namespace!;
    if (created.has(namespace) || (await kube.read({ apiVersion: 'v1', kind: 'Namespace', name: namespace }))) continue;
    throw usageError(
      `namespace ${namespace} of Gateway ${gateway.metadata.name} does not exist: create it (kubectl create namespace ${namespace}) or set ingress.gateway.namespace=null to create the Gateway beside the API`,
    );
  }
}

type ParentRef = { name: string; namespace?: string };

/** Warnings when an HTTPRoute's Gateway, or a created Gateway's class, is not in the cluster (the route then serves nothing). */
export async function gatewayWarnings(kube: Kube, objects: KubeObject[]): Promise<string[]> {
  const warnings: string[] = [];
  const created = objects.filter((o) => o.kind === 'Gateway');
  for (const route of objects.filter((o) => o.kind === 'HTTPRoute')) {
    const parents = ((route.spec ?? {}) as { parentRefs?: ParentRef[] }).parentRefs ?? [];
    for (const parent of parents) {
      const namespace = parent.namespace ?? route.metadata.namespace;
      if (created.some((g) => g.metadata.name === parent.name && g.metadata.namespace === namespace)) continue;
      const ref = { apiVersion: route.apiVersion, kind: 'Gateway', name: parent.name, namespace };
      if (await kube.read(ref)) continue;
      warnings.push(
        `Gateway ${namespace}/${parent.name} is not in the cluster, so HTTPRoute ${route.metadata.name} serves nothing: point ingress.gateway.name/namespace at an existing Gateway, or set ingress.gateway.create=true and ingress.gateway.className; until then use the port-forward commands below`,
      );
    }
  }
  if (created.length > 0) {
    const classes = (await kube.list(created[0]!.apiVersion, 'GatewayClass')).map((c) => c.metadata.name);
    for (const gateway of created) {
      const wanted = ((gateway.spec ?? {}) as { gatewayClassName?: string }).gatewayClassName;
      if (wanted && !classes.includes(wanted)) {
        warnings.push(
          `GatewayClass "${wanted}" of Gateway ${gateway.metadata.namespace}/${gateway.metadata.name} is not in the cluster (${classes.length ? `it has: ${classes.join(', ')}` : 'it has none'}): install a Gateway API implementation (e.g. Istio: microk8s enable istio) or set ingress.gateway.className`,
        );
      }
    }
  }
  return warnings;
}
