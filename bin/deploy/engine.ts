import { QctlError, usageError } from '../cli/errors.js';
import { applyObject, type ApplyResult } from './apply.js';
import { checkGeneratedReferences, ensureGeneratedSecrets, findSecretReferences, type GeneratedSecret } from './credentials.js';
import { inventoryObject, readInventory } from './inventory.js';
import type { Kube } from './kube.js';
import { describeRef, refKey, refOf, type KubeObject, type ObjectRef } from './objects.js';
import { buildPlan, planPrune, type PlanStep, type PruneDecision } from './plan.js';
import type { Progress } from './progress.js';
import { normalizeForDiff } from './text-diff.js';
import { waitReady, WaitError, type Diagnosis } from './waits.js';

/**
 * The deploy engine proper: given the objects to run (synth output plus the user Secret), it
 * checks the cluster can take them, creates generated credentials, applies phase by phase with
 * waits, rolls the API back when asked, prunes what the code dropped and records the inventory.
 */
export type EngineOptions = {
  env: string;
  /** quotes-<env>: where the inventory lives. */
  namespace: string;
  timeoutMs: number;
  pollMs: number;
  imageHint: string;
  dryRun: boolean;
  pruneData: boolean;
  rollbackOnFailure: boolean;
  image?: string;
  cluster?: string;
};

export type ObjectOutcome = { kind: string; namespace?: string; name: string; action: ApplyResult['action'] | 'skipped' };
export type PruneOutcome = { kind: string; namespace?: string; name: string; action: 'deleted' | 'kept' | 'already gone' | 'would delete'; reason?: string };

export type EngineResult = {
  ok: boolean;
  firstInstall: boolean;
  plan: { step: string; objects: string[]; waitFor: string[] }[];
  objects: ObjectOutcome[];
  generated: GeneratedSecret[];
  pruned: PruneOutcome[];
  warnings: string[];
  rolledBack?: { deployment: string; image?: string; ready: boolean };
  error?: { message: string; diagnosis?: Diagnosis };
};

const outcome = (ref: ObjectRef, action: ObjectOutcome['action']): ObjectOutcome => ({ kind: ref.kind, namespace: ref.namespace, name: ref.name, action });

/** Checks run before the first apply: every kind is served, every generated-secret key is known. */
export async function preflight(kube: Kube, objects: KubeObject[]): Promise<string[]> {
  const crdKinds = new Set(
    objects
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => `${(o.spec as { group: string }).group}/${(o.spec as { names: { kind: string } }).names.kind}`),
  );
  const seen = new Set<string>();
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    if (crdKinds.has(`${group}/${object.kind}`)) continue;
    if (!(await kube.served(object.apiVersion, object.kind))) {
      const hint = group === 'monitoring.coreos.com' ? 'install kube-prometheus-stack or deploy with --monitoring self' : 'install the API (CRD) it needs or drop the object';
      throw usageError(`the cluster does not serve ${object.kind} (${object.apiVersion}), needed by ${describeRef(refOf(object))}: ${hint}`);
    }
  }
  checkGeneratedReferences(findSecretReferences(objects));
  return ingressWarnings(kube, objects);
}

async function ingressWarnings(kube: Kube, objects: KubeObject[]): Promise<string[]> {
  const wanted = new Set(
    objects.filter((o) => o.kind === 'Ingress').map((o) => (o.spec as { ingressClassName?: string } | undefined)?.ingressClassName).filter((c): c is string => !!c),
  );
  if (wanted.size === 0) return [];
  const classes = (await kube.list('networking.k8s.io/v1', 'IngressClass')).map((c) => c.metadata.name);
  return [...wanted]
    .filter((c) => !classes.includes(c))
    .map(
      (c) =>
        `IngressClass "${c}" is not in the cluster (${classes.length ? `it has: ${classes.join(', ')}` : 'it has none'}): enable the ingress controller (microk8s: microk8s enable ingress) or override the class; until then use the port-forward commands below`,
    );
}

export async function deploy(kube: Kube, objects: KubeObject[], options: EngineOptions, progress: Progress): Promise<EngineResult> {
  const previous = await readInventory(kube, options.namespace);
  const firstInstall = previous === undefined;
  const steps = buildPlan(objects, { firstInstall });
  const result: EngineResult = {
    ok: false,
    firstInstall,
    plan: steps.map((s) => ({ step: s.title, objects: s.objects.map((o) => describeRef(refOf(o))), waitFor: s.waitFor.map(describeRef) })),
    objects: [],
    generated: [],
    pruned: [],
    warnings: [],
  };
  result.warnings = await progress.step('Preflight checks', async (log) => {
    const warnings = await preflight(kube, objects);
    warnings.forEach(log);
    return warnings;
  });
  const applied: ObjectRef[] = [];
  // A skipped seed Job is still wanted: it must not be pruned.
  const desired = objects.map(refOf);
  try {
    for (const step of steps) {
      await progress.step(`${step.title}${options.dryRun ? ' (dry run)' : ''}`, async (log) => {
        if (step.phase === 'config') {
          result.generated = await ensureGeneratedSecrets(kube, findSecretReferences(objects), {
            env: options.env,
            appNamespace: options.namespace,
            dryRun: options.dryRun,
          });
          for (const g of result.generated) log(`Secret ${g.namespace}/${g.name}: ${options.dryRun && g.action !== 'reused' ? `would be ${g.action}` : g.action} (generated)`);
        }
        await runStep(kube, step, options, result, applied, log);
      });
    }
    if (!firstInstall) {
      for (const seed of objects.filter((o) => !steps.some((s) => s.objects.includes(o)))) {
        result.objects.push(outcome(refOf(seed), 'skipped'));
      }
    }
    await progress.step(options.dryRun ? 'Prune (dry run)' : 'Prune', async (log) => {
      const decisions = planPrune(previous?.objects ?? [], desired, { pruneData: options.pruneData });
      result.pruned = await prune(kube, decisions, options.dryRun);
      for (const p of result.pruned) log(`${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}: ${p.action}${p.reason ? ` (${p.reason})` : ''}`);
      if (result.pruned.length === 0) log('nothing to prune');
      if (!options.dryRun) {
        const kept = result.pruned
          .filter((p) => p.action === 'kept')
          .map((p) => previous?.objects.find((r) => r.kind === p.kind && r.name === p.name && r.namespace === p.namespace))
          .filter((r): r is ObjectRef => r !== undefined);
        await kube.apply(inventoryObject(options.env, options.namespace, { objects: [...desired, ...kept], image: options.image, cluster: options.cluster }));
      }
    });
    result.ok = true;
  } catch (error) {
    result.error = { message: error instanceof Error ? error.message : String(error), diagnosis: error instanceof WaitError ? error.diagnosis : undefined };
    if (!options.dryRun && applied.length > 0) {
      // Remember what did get applied, so a later up or down still knows about it.
      const union = new Map([...(previous?.objects ?? []), ...applied].map((r) => [refKey(r), r]));
      await kube.apply(inventoryObject(options.env, options.namespace, { objects: [...union.values()], image: previous?.image, cluster: options.cluster })).catch(() => undefined);
    }
    if (!(error instanceof QctlError)) throw error;
  }
  return result;
}

async function runStep(kube: Kube, step: PlanStep, options: EngineOptions, result: EngineResult, applied: ObjectRef[], log: (line: string) => void): Promise<void> {
  const previousDeployments = new Map<string, KubeObject>();
  for (const object of step.objects) {
    if (step.phase === 'api' && object.kind === 'Deployment' && options.rollbackOnFailure) {
      const live = await kube.read(refOf(object));
      if (live) previousDeployments.set(refKey(refOf(object)), live);
    }
    const applyResult = await applyObject(kube, object, { dryRun: options.dryRun, pollMs: options.pollMs });
    result.objects.push(outcome(applyResult.ref, applyResult.action));
    if (!options.dryRun) applied.push(applyResult.ref);
    log(`${describeRef(applyResult.ref)}: ${options.dryRun ? `would be ${applyResult.action}` : applyResult.action}`);
  }
  if (options.dryRun) return;
  for (const ref of step.waitFor) {
    try {
      await waitReady(kube, ref, { timeoutMs: options.timeoutMs, pollMs: options.pollMs, imageHint: options.imageHint, onProgress: log });
      log(`${describeRef(ref)}: ready`);
    } catch (error) {
      const before = previousDeployments.get(refKey(ref));
      if (error instanceof WaitError && before) {
        result.rolledBack = await rollback(kube, before, options, log);
      }
      throw error;
    }
  }
}

/**
 * Restores the Deployment as it was before this `up` (its previous pod template, so the
 * previous ReplicaSet takes over again), then waits for it within the same deadline.
 */
async function rollback(kube: Kube, before: KubeObject, options: EngineOptions, log: (line: string) => void): Promise<EngineResult['rolledBack']> {
  const restored = normalizeForDiff(before) as KubeObject;
  const image = ((before.spec as { template?: { spec?: { containers?: { image?: string }[] } } }).template?.spec?.containers ?? [])[0]?.image;
  const ref = refOf(before);
  log(`rolling back ${describeRef(ref)} to its previous revision${image ? ` (${image})` : ''}`);
  await kube.apply(restored);
  let ready = true;
  try {
    await waitReady(kube, ref, { timeoutMs: options.timeoutMs, pollMs: options.pollMs, imageHint: options.imageHint });
    log(`${describeRef(ref)}: previous revision is ready`);
  } catch {
    ready = false;
    log(`${describeRef(ref)}: previous revision did not become ready either`);
  }
  return { deployment: describeRef(ref), image, ready };
}

async function prune(kube: Kube, decisions: PruneDecision[], dryRun: boolean): Promise<PruneOutcome[]> {
  const outcomes: PruneOutcome[] = [];
  for (const decision of decisions) {
    const base = { kind: decision.ref.kind, namespace: decision.ref.namespace, name: decision.ref.name };
    if (decision.action === 'keep') {
      outcomes.push({ ...base, action: 'kept', reason: decision.reason });
    } else if (dryRun) {
      outcomes.push({ ...base, action: 'would delete' });
    } else {
      outcomes.push({ ...base, action: (await kube.delete(decision.ref)) ? 'deleted' : 'already gone' });
    }
  }
  return outcomes;
}
