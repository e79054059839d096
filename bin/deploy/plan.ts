import { isPhase, PHASE_ANNOTATION, PHASES, phaseOfKind, type Phase } from '../../infra/phases.js';
import { QctlError } from '../cli/errors.js';
import { describeRef, refKey, refOf, type KubeObject, type ObjectRef } from '../kube/objects.js';

/**
 * The apply plan: which phase each object belongs to, in which order the phases run, and what
 * to wait for between them. Pure code: tests check it without a cluster. The phases and each
 * object's place in them are infra's (infra/phases.ts); this module only reads them.
 */
export { PHASES, type Phase };

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

/**
 * The phase infra stamped on the object (`qctl.dev/phase`). An object without one (YAML from
 * elsewhere, an older dist/) is placed by its kind alone (infra/phases.ts phaseOfKind), never
 * in the first-install-only seed phase.
 */
export function phaseOf(object: KubeObject): Phase {
  const stamped = object.metadata.annotations?.[PHASE_ANNOTATION];
  if (stamped === undefined) return phaseOfKind(object.kind);
  if (!isPhase(stamped)) {
    throw new QctlError(
      `${describeRef(refOf(object))}: unknown ${PHASE_ANNOTATION} "${stamped}": use one of ${PHASES.join(', ')} (objects from qctl synth carry a valid one; re-run it)`,
    );
  }
  return stamped;
}

/**
 * Waits follow from the object, not its name: after each phase, every object of these kinds
 * in it (CronJobs are not waited for). What "ready" means is in waits.ts.
 */
export const WAITED_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** A waited kind, or a CloudNativePG Cluster (the migration Job needs its primary up). */
function isWaited(object: KubeObject): boolean {
  return WAITED_KINDS.has(object.kind) || (object.kind === 'Cluster' && object.apiVersion === 'postgresql.cnpg.io/v1');
}

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
      waitFor: members.filter(isWaited).map(refOf),
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
  return gone
    .map((ref, index) => ({ ref, index }))
    .sort((a, b) => refOrder(b.ref) - refOrder(a.ref) || b.index - a.index)
    .map(({ ref }) =>
      DATA_KINDS.has(ref.kind) && !options.pruneData
        ? { ref, action: 'keep' as const, reason: `kept: ${ref.kind} holds data (pass --prune-data to delete it)` }
        : { ref, action: 'delete' as const },
    );
}

/**
 * Inventory refs carry no annotations: order them by kind (phaseOfKind). They are recorded in
 * synth order, which follows the file prefixes, so reverse index order within a kind's phase
 * still takes the API down before the databases.
 */
function refOrder(ref: ObjectRef): number {
  return PHASES.indexOf(phaseOfKind(ref.kind));
}

/** Reverse apply order, for `qctl down`. */
export function teardownOrder(refs: ObjectRef[]): ObjectRef[] {
  return refs
    .map((ref, index) => ({ ref, index }))
    .sort((a, b) => refOrder(b.ref) - refOrder(a.ref) || b.index - a.index)
    .map(({ ref }) => ref);
}

export function describePlan(steps: PlanStep[]): string[] {
  return steps.flatMap((step, i) => [
    `${i + 1}. ${step.title}${step.waitFor.length ? ` (wait: ${step.waitFor.map((r) => `${r.kind} ${r.name}`).join(', ')})` : ''}`,
    ...step.objects.map((o) => `     ${describeRef(refOf(o))}`),
  ]);
}
