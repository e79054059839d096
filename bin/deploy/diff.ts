import { parseImageRef, type ImageRef } from '../../infra/image.js';
import type { SynthChoices } from '../../infra/request.js';
import { parseOutputMode, printJson, printText, warnIgnoredSettings } from '../cli/output.js';
import { readSecrets } from '../secrets/store.js';
import { findSecretReferences, GENERATED_SECRETS, userSecretObject } from './credentials.js';
import { readInventory } from './inventory.js';
import { jobNeedsReplace } from './apply.js';
import { compact, isApplied, liveOf, readLiveState } from './live-state.js';
import { describeRef, refOf, type KubeObject } from '../kube/objects.js';
import { planPrune } from './plan.js';
import { openSession, type DeployTarget } from './session.js';
import { yamlDiff } from './text-diff.js';

/** What `qctl diff` needs; bin/commands/diff.ts turns the flags into it. */
export type DiffOptions = {
  target: DeployTarget;
  /** --image, --set, --monitoring; without --image the image that is deployed is compared. */
  synth: SynthChoices;
  exitCode?: boolean;
  output: string;
};

type Change = { object: string; change: 'create' | 'update' | 'replace' | 'prune' | 'keep'; diff: string[] };

/**
 * `qctl diff`: what `up` would change, object by object. "Would change" is decided exactly as
 * `up` decides it (the applied fields against the live object, see live-state.ts), so
 * `diff --exit-code` and `up` always agree; the lines shown come from the API server's own
 * dry run (defaults, admission and field ownership are the cluster's, not a guess).
 * Flags, --set and the secrets are checked before the cluster is contacted.
 */
export async function runDiff(root: string, flags: DiffOptions): Promise<number> {
  const mode = parseOutputMode(flags.output);
  const { target } = flags;
  const { env, namespace, flavour } = target;
  const { synthesizeCached } = await import('../../infra/synth-cache.js');
  const synthFor = async (image: ImageRef | undefined) =>
    (await synthesizeCached([{ ...flags.synth, env, cluster: flavour, image }], { cwd: root, validate: false }))[0]!.result;
  let synth = await synthFor(flags.synth.image);
  warnIgnoredSettings(synth.ignored);
  const userSecret = userSecretObject(env, namespace, (await readSecrets(root, env)) ?? {});

  const { kube } = await openSession(target);
  const inventory = await readInventory(kube, namespace);
  // Without --image, compare with the image that is deployed, not the environment's default.
  if (flags.synth.image === undefined && inventory?.image && inventory.image !== synth.image) {
    synth = await synthFor(parseImageRef(inventory.image, 'the deployed image'));
  }
  const objects = [...(synth.objects as KubeObject[]), userSecret].map(compact);
  const live = await readLiveState(kube, objects);
  const changes: Change[] = [];
  for (const object of objects) {
    const ref = refOf(object);
    const current = liveOf(live, ref);
    if (!current) {
      changes.push({ object: describeRef(ref), change: 'create', diff: yamlDiff(undefined, object, object.kind) });
    } else if (object.kind === 'Job') {
      if (jobNeedsReplace(current, object))
        changes.push({ object: describeRef(ref), change: 'replace', diff: yamlDiff(current, object, 'Job') });
    } else if (!isApplied(current, object)) {
      const dryRun = await kube.apply(object, { dryRun: true });
      changes.push({ object: describeRef(ref), change: 'update', diff: yamlDiff(current, dryRun, object.kind) });
    }
  }
  const refs = findSecretReferences(objects);
  for (const name of Object.keys(GENERATED_SECRETS)) {
    for (const ns of refs.get(name)?.keys() ?? []) {
      if (!(await kube.read({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name }))) {
        changes.push({ object: `Secret ${ns}/${name}`, change: 'create', diff: ['+ (generated credentials, created once)'] });
      }
    }
  }
  for (const decision of planPrune(inventory?.objects ?? [], objects.map(refOf), { pruneData: false })) {
    changes.push({
      object: describeRef(decision.ref),
      change: decision.action === 'delete' ? 'prune' : 'keep',
      diff: decision.reason ? [decision.reason] : [],
    });
  }
  const changing = changes.filter((c) => c.change !== 'keep');
  if (mode === 'json') {
    printJson({ env, namespace, context: kube.target.context, image: synth.image, changed: changing.length > 0, changes });
  } else {
    for (const c of changes) {
      printText(
        `${c.change === 'prune' ? '-' : c.change === 'keep' ? '=' : c.change === 'create' ? '+' : '~'} ${c.object} (${c.change})\n`,
      );
      for (const line of c.diff) printText(`    ${line}\n`);
    }
    printText(changing.length ? `${changing.length} object(s) would change\n` : `no changes: the cluster matches the code (env ${env})\n`);
  }
  return flags.exitCode && changing.length > 0 ? 1 : 0;
}
