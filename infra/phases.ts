/**
 * Deploy phases: the order in which `qctl up` applies objects, waiting for the workloads of
 * one phase before the next starts. infra states each object's phase (scope.ts stamps it as
 * the annotation below); the deploy engine only reads it.
 */
export const PHASES = ['namespaces', 'rbac', 'config', 'data', 'migrate', 'api', 'monitoring', 'seed'] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_ANNOTATION = 'qctl.dev/phase';

/**
 * The phase of an output file, by its two-digit prefix (the lowest prefix of each range):
 *   00 namespaces · 05 rbac · 10 config · 20 data · 30 migrate · 40 api · 60 monitoring ·
 *   90 seed (applied on the first install only)
 */
const PREFIX_PHASES: ReadonlyArray<readonly [number, Phase]> = [
  [90, 'seed'],
  [60, 'monitoring'],
  [40, 'api'],
  [30, 'migrate'],
  [20, 'data'],
  [10, 'config'],
  [5, 'rbac'],
  [0, 'namespaces'],
];

export function phaseOfFile(fileName: string): Phase {
  const prefix = Number(fileName.slice(0, 2));
  return PREFIX_PHASES.find(([lowest]) => prefix >= lowest)![1];
}

const NAMESPACE_KINDS = new Set(['Namespace', 'CustomResourceDefinition']);
const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const CONFIG_KINDS = new Set(['ConfigMap', 'Secret', 'NetworkPolicy', 'LimitRange', 'ResourceQuota', 'PriorityClass', 'StorageClass']);
const MONITORING_KINDS = new Set(['ServiceMonitor', 'PodMonitor', 'PrometheusRule']);

/**
 * Kinds that other objects need to exist first go to their own early phase whichever file
 * holds them: a workload's namespace, ServiceAccount, ConfigMap or NetworkPolicy is in place
 * before any workload of any phase starts.
 */
export function prerequisitePhase(kind: string): Phase | undefined {
  if (NAMESPACE_KINDS.has(kind)) return 'namespaces';
  if (RBAC_KINDS.has(kind)) return 'rbac';
  if (CONFIG_KINDS.has(kind)) return 'config';
  return undefined;
}

/** The phase infra stamps on an object of `kind` placed in `fileName`. */
export function placedPhase(kind: string, fileName: string): Phase {
  return prerequisitePhase(kind) ?? phaseOfFile(fileName);
}

/**
 * For objects that carry no phase (YAML not made by this synth, or an older inventory): by
 * kind only. Prerequisites as above, Prometheus operator kinds in monitoring, everything else
 * in api. Never seed, so such an object is applied on every `up`.
 */
export function phaseOfKind(kind: string): Phase {
  return prerequisitePhase(kind) ?? (MONITORING_KINDS.has(kind) ? 'monitoring' : 'api');
}

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}
