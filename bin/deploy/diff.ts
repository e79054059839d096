import { parseOutputMode, printJson } from '../cli/output.js';
import { readSecrets } from '../secrets/store.js';
import { findSecretReferences, GENERATED_SECRETS, userSecretObject } from './credentials.js';
import { readInventory } from './inventory.js';
import { describeRef, refOf, type KubeObject } from './objects.js';
import { planPrune } from './plan.js';
import { asUsage, openSession, type ClusterFlags } from './session.js';
import { differs, yamlDiff } from './text-diff.js';

export type DiffFlags = ClusterFlags & { image?: string; monitoring?: string; set?: string[]; exitCode?: boolean; output?: string };

type Change = { object: string; change: 'create' | 'update' | 'replace' | 'prune' | 'keep'; diff: string[] };

function containerImages(object: KubeObject): string {
  const spec = object.spec as { template?: { spec?: { containers?: { image?: string; command?: string[]; args?: string[] }[] } } } | undefined;
  return JSON.stringify((spec?.template?.spec?.containers ?? []).map((c) => [c.image, c.command ?? null, c.args ?? null]));
}

/**
 * `qctl diff`: what `up` would change, object by object, using the API server's own dry run
 * (so defaults, admission and field ownership are the cluster's, not a guess).
 */
export async function runDiff(root: string, flags: DiffFlags): Promise<number> {
  const mode = parseOutputMode(flags.output);
  const session = await openSession(root, flags);
  const { kube, env, namespace, flavour } = session;
  const inventory = await readInventory(kube, namespace);
  const image = flags.image ?? inventory?.image;
  const { synthesize } = await import('../../infra/main.js');
  const synth = await synthesize({ env, cluster: flavour.name, image, set: flags.set, monitoring: flags.monitoring, cwd: root }).catch(asUsage);
  const objects = [...(synth.objects as KubeObject[]), userSecretObject(env, namespace, (await readSecrets(root, env)) ?? {})];
  const changes: Change[] = [];
  for (const object of objects) {
    const ref = refOf(object);
    const live = await kube.read(ref);
    if (!live) {
      changes.push({ object: describeRef(ref), change: 'create', diff: yamlDiff(undefined, object, object.kind) });
      continue;
    }
    if (object.kind === 'Job') {
      if (containerImages(live) !== containerImages(object)) changes.push({ object: describeRef(ref), change: 'replace', diff: yamlDiff(live, object, 'Job') });
      continue;
    }
    const dryRun = await kube.apply(object, { dryRun: true });
    if (differs(live, dryRun)) changes.push({ object: describeRef(ref), change: 'update', diff: yamlDiff(live, dryRun, object.kind) });
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
    changes.push({ object: describeRef(decision.ref), change: decision.action === 'delete' ? 'prune' : 'keep', diff: decision.reason ? [decision.reason] : [] });
  }
  const changing = changes.filter((c) => c.change !== 'keep');
  if (mode === 'json') {
    printJson({ env, namespace, context: kube.target.context, image: synth.image, changed: changing.length > 0, changes });
  } else {
    for (const c of changes) {
      process.stdout.write(`${c.change === 'prune' ? '-' : c.change === 'keep' ? '=' : c.change === 'create' ? '+' : '~'} ${c.object} (${c.change})\n`);
      for (const line of c.diff) process.stdout.write(`    ${line}\n`);
    }
    process.stdout.write(changing.length ? `${changing.length} object(s) would change\n` : `no changes: the cluster matches the code (env ${env})\n`);
  }
  return flags.exitCode && changing.length > 0 ? 1 : 0;
}
