import { CLUSTER_NAMES, getClusterFlavour, isClusterName, type ClusterFlavour, type ClusterName } from '../../infra/clusters.js';
import { usageError } from '../cli/errors.js';

/**
 * What the deploy engine needs to know per cluster flavour, beyond what the manifests care
 * about (infra/clusters.ts): which kubeconfig contexts belong to it, which CLI runs it and how
 * the image reaches its nodes.
 */
export type ShipMethod = 'microk8s' | 'kind' | 'minikube' | 'k3d' | 'shared-daemon' | 'registry';

export type DeployFlavour = ClusterFlavour & {
  /** Does a context name belong to this flavour? */
  matchesContext(name: string): boolean;
  /** The CLI that runs the cluster (doctor checks it), if any. */
  cli?: string;
  ship: ShipMethod;
  /** The command that starts the cluster, for "API unreachable" messages. */
  startHint: string;
};

const CONTEXT_MATCHERS: Record<ClusterName, (name: string) => boolean> = {
  microk8s: (n) => n === 'microk8s' || n.startsWith('microk8s'),
  kind: (n) => n.startsWith('kind-'),
  minikube: (n) => n === 'minikube',
  k3d: (n) => n.startsWith('k3d-'),
  'docker-desktop': (n) => n === 'docker-desktop' || n === 'docker-for-desktop',
  generic: () => true,
};

const DETAILS: Record<ClusterName, { cli?: string; ship: ShipMethod; startHint: string }> = {
  microk8s: { cli: 'microk8s', ship: 'microk8s', startHint: 'microk8s start' },
  kind: { cli: 'kind', ship: 'kind', startHint: 'kind create cluster' },
  minikube: { cli: 'minikube', ship: 'minikube', startHint: 'minikube start' },
  k3d: { cli: 'k3d', ship: 'k3d', startHint: 'k3d cluster start' },
  'docker-desktop': { cli: 'docker', ship: 'shared-daemon', startHint: 'enable Kubernetes in Docker Desktop settings' },
  generic: { ship: 'registry', startHint: 'check the cluster is up and the context is right (kubectl cluster-info)' },
};

export function deployFlavour(name: string): DeployFlavour {
  if (!isClusterName(name)) throw usageError(`unknown cluster "${name}": use --cluster ${CLUSTER_NAMES.join('|')}`);
  return { ...getClusterFlavour(name), matchesContext: CONTEXT_MATCHERS[name], ...DETAILS[name] };
}

export { CLUSTER_NAMES };
