import { componentOf, describeRef, refKey, refOf, type KubeObject, type ObjectRef } from './objects.js';

/**
 * The apply plan: which phase each object belongs to, in which order the phases run, and what
 * to wait for between them. Pure code: tests check it without a cluster.
 */
export const PHASES = ['namespaces', 'rbac', 'config', 'data', 'migrate', 'api', 'monitoring', 'seed'] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_TITLES: Record<Phase, string> = {
  namespaces: 'Namespaces and CRDs',
  rbac: 'RBAC and service accounts',
  config: 'Config and secrets',
  data: 'Postgres and Redis',
  migrate: 'Database migration',
  api: 'Quote API',
  monitoring: 'Monitoring',
  seed: 'Seed (first install)',
};

const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const CONFIG_KINDS = new Set(['ConfigMap', 'Secret', 'NetworkPolicy', 'LimitRange', 'ResourceQuota', 'PriorityClass', 'StorageClass']);
const MONITORING_KINDS = new Set(['ServiceMonitor', 'PodMonitor', 'PrometheusRule']);
const MONITORING_COMPONENT = /prometheus|grafana|monitoring|exporter|alertmanager|dashboard|^metrics$/;
const DATA_NAME = /^(postgres|redis)(-|$)/;

export function phaseOf(object: KubeObject): Phase {
  const { kind } = object;
  const component = componentOf(object);
  const name = object.metadata.name;
  if (kind === 'Namespace' || kind === 'CustomResourceDefinition') return 'namespaces';
  if (kind === 'Job' || kind === 'CronJob') {
    if (/seed/.test(component) || /seed/.test(name)) return 'seed';
    if (/migrat/.test(component) || /migrat/.test(name)) return 'migrate';
  }
  if (RBAC_KINDS.has(kind)) return 'rbac';
  if (CONFIG_KINDS.has(kind)) return 'config';
  if (MONITORING_KINDS.has(kind) || /^monitoring(-|$)/.test(object.metadata.namespace ?? '') || MONITORING_COMPONENT.test(component) || /-exporter$/.test(name)) return 'monitoring';
  if (DATA_NAME.test(component) || DATA_NAME.test(name)) return 'data';
  return 'api';
}

/** Kinds qctl waits for after applying them, and what "ready" means is in waits.ts. */
export const WAITED_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

export type PlanStep = { phase: Phase; title: string; objects: KubeObject[]; waitFor: ObjectRef[] };

/**
 * Groups objects into phases in the fixed order, keeping the synth order inside a phase
 * (infra already orders dependencies within a chart). Each step waits for its workloads
 * before the next one starts.
 */
export function buildPlan(objects: KubeObject[], options: { firstInstall: boolean }): PlanStep[] {
  const byPhase = new Map<Phase, KubeObject[]>(PHASES.map((p) => [p, []]));
  for (const object of objects) byPhase.get(phaseOf(object))!.push(object);
  const steps: PlanStep[] = [];
  for (const phase of PHASES) {
    const members = byPhase.get(phase)!;
    if (members.length === 0) continue;
    if (phase === 'seed' && !options.firstInstall) continue;
    steps.push({
      phase,
      title: PHASE_TITLES[phase],
      objects: members,
      waitFor: members.filter((o) => WAITED_KINDS.has(o.kind)).map(refOf),
    });
  }
  return steps;
}

export type PruneDecision = { ref: ObjectRef; action: 'delete' | 'keep'; reason?: string };

/** Kinds whose deletion loses data: never pruned unless --prune-data. A Namespace takes its PVCs with it. */
export const DATA_KINDS = new Set(['PersistentVolumeClaim', 'PersistentVolume', 'Namespace']);

/**
 * Objects recorded by the previous `up` that the code no longer produces. Deleted in reverse
 * phase order (API before data before namespaces); data-bearing kinds are kept unless `pruneData`.
 */
export function planPrune(previous: ObjectRef[], desired: ObjectRef[], options: { pruneData: boolean }): PruneDecision[] {
  const wanted = new Set(desired.map(refKey));
  const gone = previous.filter((ref) => !wanted.has(refKey(ref)));
  const order = (ref: ObjectRef) => PHASES.indexOf(phaseOf({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }));
  return gone
    .map((ref, index) => ({ ref, index }))
    .sort((a, b) => order(b.ref) - order(a.ref) || b.index - a.index)
    .map(({ ref }) =>
      DATA_KINDS.has(ref.kind) && !options.pruneData
        ? { ref, action: 'keep' as const, reason: `kept: ${ref.kind} holds data (pass --prune-data to delete it)` }
        : { ref, action: 'delete' as const },
    );
}

/** Reverse apply order, for `qctl down`. */
export function teardownOrder(refs: ObjectRef[]): ObjectRef[] {
  const order = (ref: ObjectRef) => PHASES.indexOf(phaseOf({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } }));
  return refs
    .map((ref, index) => ({ ref, index }))
    .sort((a, b) => order(b.ref) - order(a.ref) || b.index - a.index)
    .map(({ ref }) => ref);
}

export function describePlan(steps: PlanStep[]): string[] {
  return steps.flatMap((step, i) => [
    `${i + 1}. ${step.title}${step.waitFor.length ? ` (wait: ${step.waitFor.map((r) => `${r.kind} ${r.name}`).join(', ')})` : ''}`,
    ...step.objects.map((o) => `     ${describeRef(refOf(o))}`),
  ]);
}
