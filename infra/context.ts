import type { ClusterFlavour, ImagePullPolicy } from './clusters.js';
import type { MonitoringMode } from './config.js';
import type { Environment } from './environments.js';
import type { ImageRef } from './image.js';
import { selectorLabels, standardLabels, type Labels } from './labels.js';

/**
 * The self-hosted monitoring stack of an environment lives in `monitoring-<env>`, so that
 * several environments on one cluster each have their own (see docs/deploy.md).
 */
export const monitoringNamespaceFor = (env: string): string => `monitoring-${env}`;

/**
 * Everything a chart-building function needs, resolved once per environment: the settings
 * after qctl.config.ts and --set, the cluster flavour, the image and the naming helpers.
 * Stacks read from it and never look at the environment, the kube context or the clock,
 * which is what keeps two synth runs byte-identical.
 */
export interface SynthContext {
  env: Environment;
  cluster: ClusterFlavour;
  image: ImageRef;
  imagePullPolicy: ImagePullPolicy;
  /** `quotes-<env>`. */
  namespace: string;
  monitoring: MonitoringMode;
  /** `monitoring-<env>`: where the self-hosted monitoring stack of this environment runs. */
  monitoringNamespace: string;
  ingressClassName: string;
  /** Namespaces of the ingress controller, or null for "any namespace" (generic clusters). */
  ingressControllerNamespaces: string[] | null;
  /** Storage class for a volume: the setting if given, else the cluster flavour's (null: cluster default). */
  storageClassFor(setting: string | null): string | null;
  /** Full standard label set for an object of this stack. */
  labels(name: string, component: string, extra?: Labels): Labels;
  /** Immutable selector labels for a workload. */
  selector(name: string): Labels;
}

export function createSynthContext(input: {
  env: Environment;
  cluster: ClusterFlavour;
  image: ImageRef;
  monitoring: MonitoringMode;
}): SynthContext {
  const { env, cluster, image, monitoring } = input;
  return {
    env,
    cluster,
    image,
    imagePullPolicy: env.image.pullPolicy ?? cluster.imagePullPolicy,
    namespace: env.namespace,
    monitoring,
    monitoringNamespace: monitoringNamespaceFor(env.name),
    ingressClassName: env.ingress.className ?? cluster.ingressClassName,
    ingressControllerNamespaces: env.networkPolicy.ingressControllerNamespaces ?? cluster.ingressControllerNamespaces,
    storageClassFor: (setting) => setting ?? cluster.storageClassName,
    labels: (name, component, extra = {}) => ({ ...standardLabels(env.name, name, component), ...extra }),
    selector: (name) => selectorLabels(env.name, name),
  };
}
