import { QctlError, usageError } from '../cli/errors.js';
import { applyObject, type ApplyResult } from './apply.js';
import { checkGeneratedReferences, ensureGeneratedSecrets, findSecretReferences, type GeneratedSecret } from './credentials.js';
import { checkGatewayNamespaces, checkNodePorts, gatewayWarnings, installHint } from './exposure-checks.js';
import { inventoryObject, inventoryRef, parseInventory } from './inventory.js';
import { compact, isApplied, liveOf, readLiveState, type LiveState } from './live-state.js';
import type { Kube } from '../kube/client.js';
import { describeRef, refKey, refOf, type KubeObject, type ObjectRef } from '../kube/objects.js';
import { buildPlan, planPrune, type PlanStep, type PruneDecision } from './plan.js';
import type { Progress } from './progress.js';
import { normalizeForDiff } from './text-diff.js';
import { readiness, waitReady, WaitError, type Diagnosis } from './waits.js';

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
export type PruneOutcome = {
  kind: string;
  namespace?: string;
  name: string;
  action: 'deleted' | 'kept' | 'already gone' | 'would delete';
  reason?: string;
};

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

const outcome = (ref: ObjectRef, action: ObjectOutcome['action']): ObjectOutcome => ({
  kind: ref.kind,
  namespace: ref.namespace,
  name: ref.name,
  action,
});

/** Checks run before the first apply: every kind is served, every generated-secret key is known. */
export async function preflight(kube: Kube, objects: KubeObject[]): Promise<string[]> {
  const crdKinds = new Set(
    objects
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => `${(o.spec as { group: string }).group}/${(o.spec as { names: { kind: string } }).names.kind}`),
  );
  const firstOfKind = new Map<string, KubeObject>();
  for (const object of objects) {
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    if (!crdKinds.has(`${group}/${object.kind}`) && !firstOfKind.has(`${object.apiVersion}/${object.kind}`))
      firstOfKind.set(`${object.apiVersion}/${object.kind}`, object);
  }
  // Discovery is per API group: ask for every kind at once rather than one after another.
  const served = await Promise.all([...firstOfKind.values()].map((o) => kube.served(o.apiVersion, o.kind)));
  const missing = [...firstOfKind.values()].find((_, i) => !served[i]);
  if (missing) {
    throw usageError(
      `the cluster does not serve ${missing.kind} (${missing.apiVersion}), needed by ${describeRef(refOf(missing))}: ${installHint(missing.apiVersion)}`,
    );
  }
  checkGeneratedReferences(findSecretReferences(objects));
  await checkNodePorts(kube, objects);
  await checkGatewayNamespaces(kube, objects);
  return [...(await ingressWarnings(kube, objects)), ...(await gatewayWarnings(kube, objects))];
}

async function ingressWarnings(kube: Kube, objects: KubeObject[]): Promise<string[]> {
  const wanted = new Set(
    objects
      .filter((o) => o.kind === 'Ingress')
      .map((o) => (o.spec as { ingressClassName?: string } | undefined)?.ingressClassName)
      .filter((c): c is string => !!c),
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

export async function deploy(kube: Kube, synthesized: KubeObject[], options: EngineOptions, progress: Progress): Promise<EngineResult> {
  const objects = synthesized.map(compact);
  const inventoryLive = await kube.read(inventoryRef(options.namespace));
  const previous = inventoryLive && parseInventory(inventoryLive);
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
  const live = await readLiveState(kube, objects);
  const applied: ObjectRef[] = [];
  // A skipped seed Job is still wanted: it must not be pruned.
  const desired = objects.map(refOf);
  // The inventory lists what exists: a skipped seed Job that never ran (a later version's, say)
  // is left out, so that a later prune does not report it "already gone".
  const planned = new Set(steps.flatMap((s) => s.objects));
  const recorded = objects.filter((o) => planned.has(o) || liveOf(live, refOf(o)) !== undefined).map(refOf);
  try {
    for (const step of steps) {
      await progress.step(`${step.title}${options.dryRun ? ' (dry run)' : ''}`, async (log) => {
        if (step.phase === 'config') {
          result.generated = await ensureGeneratedSecrets(kube, findSecretReferences(objects), {
            env: options.env,
            appNamespace: options.namespace,
            dryRun: options.dryRun,
          });
          for (const g of result.generated)
            log(
              `Secret ${g.namespace}/${g.name}: ${options.dryRun && g.action !== 'reused' ? `would be ${g.action}` : g.action} (generated)`,
            );
        }
        await runStep(kube, step, live, options, result, applied, log);
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
      for (const p of result.pruned)
        log(`${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}: ${p.action}${p.reason ? ` (${p.reason})` : ''}`);
      if (result.pruned.length === 0) log('nothing to prune');
      if (!options.dryRun) {
        const kept = result.pruned
          .filter((p) => p.action === 'kept')
          .map((p) => previous?.objects.find((r) => r.kind === p.kind && r.name === p.name && r.namespace === p.namespace))
          .filter((r): r is ObjectRef => r !== undefined);
        const inventory = compact(
          inventoryObject(options.env, options.namespace, {
            objects: [...recorded, ...kept],
            image: options.image,
            cluster: options.cluster,
          }),
        );
        if (!isApplied(inventoryLive, inventory)) await kube.apply(inventory);
      }
    });
    result.ok = true;
  } catch (error) {
    result.error = {
      message: error instanceof Error ? error.message : String(error),
      diagnosis: error instanceof WaitError ? error.diagnosis : undefined,
    };
    if (!options.dryRun && applied.length > 0) {
      // Remember what did get applied, so a later up or down still knows about it.
      const union = new Map([...(previous?.objects ?? []), ...applied].map((r) => [refKey(r), r]));
      await kube
        .apply(
          inventoryObject(options.env, options.namespace, {
            objects: [...union.values()],
            image: previous?.image,
            cluster: options.cluster,
          }),
        )
        .catch(() => undefined);
    }
    if (!(error instanceof QctlError)) throw error;
  }
  return result;
}

/** How many applies of one phase are in flight at once (objects of a phase do not depend on each other). */
const APPLY_CONCURRENCY = 8;

async function runStep(
  kube: Kube,
  step: PlanStep,
  live: LiveState,
  options: EngineOptions,
  result: EngineResult,
  applied: ObjectRef[],
  log: (line: string) => void,
): Promise<void> {
  const outcomes = await mapConcurrent(step.objects, APPLY_CONCURRENCY, (object) =>
    applyObject(kube, object, liveOf(live, refOf(object)), { dryRun: options.dryRun, pollMs: options.pollMs }),
  );
  for (const applyResult of outcomes) {
    result.objects.push(outcome(applyResult.ref, applyResult.action));
    if (!options.dryRun) applied.push(applyResult.ref);
    log(`${describeRef(applyResult.ref)}: ${options.dryRun ? `would be ${applyResult.action}` : applyResult.action}`);
  }
  if (options.dryRun) return;
  const actions = new Map(outcomes.map((o) => [refKey(o.ref), o.action]));
  for (const ref of step.waitFor) {
    const before = liveOf(live, ref);
    // Untouched and already ready: nothing to wait for.
    if (actions.get(refKey(ref)) === 'unchanged' && before && readiness(before).ready) {
      log(`${describeRef(ref)}: ready (unchanged)`);
      continue;
    }
    try {
      await waitReady(kube, ref, { timeoutMs: options.timeoutMs, pollMs: options.pollMs, imageHint: options.imageHint, onProgress: log });
      log(`${describeRef(ref)}: ready`);
    } catch (error) {
      if (error instanceof WaitError && before && options.rollbackOnFailure && step.phase === 'api' && ref.kind === 'Deployment') {
        result.rolledBack = await rollback(kube, before, options, log);
      }
      throw error;
    }
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
async function mapConcurrent<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Restores the Deployment as it was before this `up` (its previous pod template, so the
 * previous ReplicaSet takes over again), then waits for it within the same deadline.
 */
async function rollback(
  kube: Kube,
  before: KubeObject,
  options: EngineOptions,
  log: (line: string) => void,
): Promise<EngineResult['rolledBack']> {
  const restored = normalizeForDiff(before) as KubeObject;
  const image = ((before.spec as { template?: { spec?: { containers?: { image?: string }[] } } }).template?.spec?.containers ?? [])[0]
    ?.image;
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

/** The engine result as `--output json` reports it. */
export function summarizeEngineResult(result: EngineResult) {
  return {
    firstInstall: result.firstInstall,
    objects: result.objects,
    generatedSecrets: result.generated,
    pruned: result.pruned,
    warnings: result.warnings,
    ...(result.rolledBack ? { rolledBack: result.rolledBack } : {}),
    ...(result.error ? { error: result.error } : {}),
  };
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
