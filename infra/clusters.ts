import { InfraUsageError } from './errors.js';

/**
 * What differs between the clusters qctl deploys to, as far as the manifests care.
 * The deploy engine (bin/deploy) owns how images get into each cluster; this file only
 * says what the objects must look like there.
 */
export const CLUSTER_NAMES = ['microk8s', 'kind', 'minikube', 'k3d', 'docker-desktop', 'generic'] as const;
export type ClusterName = (typeof CLUSTER_NAMES)[number];

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface ClusterFlavour {
  name: ClusterName;
  /** Ingress class the cluster's usual controller serves. */
  ingressClassName: string;
  /**
   * Namespaces the ingress controller pods run in: the API's NetworkPolicy admits traffic
   * from them. `null` admits the http port from every namespace (we cannot know the controller).
   */
  ingressControllerNamespaces: string[] | null;
  /** Images are shipped into the node (import/load/local registry): never force a pull. */
  imagePullPolicy: ImagePullPolicy;
  /** StorageClass of the cluster's default provisioner; null lets the cluster's default class decide. */
  storageClassName: string | null;
  /** Registry the deploy engine pushes to, when the cluster has one (microk8s registry addon). */
  registry: string | null;
  notes: string;
}

const FLAVOURS: Record<ClusterName, ClusterFlavour> = {
  microk8s: {
    name: 'microk8s',
    // The ingress addon (ingress-nginx based) names its class `public`. Its newer Traefik-based
    // addon also serves `nginx`, ignoring ingress-nginx annotations: we use none.
    ingressClassName: 'public',
    ingressControllerNamespaces: ['ingress'],
    imagePullPolicy: 'IfNotPresent',
    storageClassName: 'microk8s-hostpath',
    registry: '127.0.0.1:32000',
    notes: 'addons: dns, ingress, hostpath-storage, registry',
  },
  kind: {
    name: 'kind',
    ingressClassName: 'nginx',
    ingressControllerNamespaces: ['ingress-nginx'],
    imagePullPolicy: 'IfNotPresent',
    storageClassName: 'standard',
    registry: null,
    notes: 'images arrive with `kind load docker-image`; ingress-nginx installed separately',
  },
  minikube: {
    name: 'minikube',
    ingressClassName: 'nginx',
    ingressControllerNamespaces: ['ingress-nginx'],
    imagePullPolicy: 'IfNotPresent',
    storageClassName: 'standard',
    registry: null,
    notes: 'images arrive with `minikube image load`; `minikube addons enable ingress`',
  },
  k3d: {
    name: 'k3d',
    ingressClassName: 'traefik',
    ingressControllerNamespaces: ['kube-system'],
    imagePullPolicy: 'IfNotPresent',
    storageClassName: 'local-path',
    registry: null,
    notes: 'k3s ships Traefik in kube-system; images arrive with `k3d image import`',
  },
  'docker-desktop': {
    name: 'docker-desktop',
    ingressClassName: 'nginx',
    ingressControllerNamespaces: ['ingress-nginx'],
    imagePullPolicy: 'IfNotPresent',
    storageClassName: 'hostpath',
    registry: null,
    notes: 'the cluster shares the Docker daemon, so built images are already on the node',
  },
  generic: {
    name: 'generic',
    ingressClassName: 'nginx',
    ingressControllerNamespaces: null,
    // Images come from a registry: pulling every start also re-checks pull credentials.
    imagePullPolicy: 'Always',
    storageClassName: null,
    registry: null,
    notes: 'any conformant cluster; override ingress.className and image settings in qctl.config.ts',
  },
};

export function isClusterName(name: string): name is ClusterName {
  return (CLUSTER_NAMES as readonly string[]).includes(name);
}

export function getClusterFlavour(name: string): ClusterFlavour {
  if (!isClusterName(name)) {
    throw new InfraUsageError(`unknown cluster "${name}": use one of ${CLUSTER_NAMES.join(', ')}`);
  }
  const flavour = FLAVOURS[name];
  return { ...flavour, ingressControllerNamespaces: flavour.ingressControllerNamespaces?.slice() ?? null };
}
