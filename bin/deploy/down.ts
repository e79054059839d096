import { createInterface } from 'node:readline/promises';
import { usageError } from '../cli/errors.js';
import { isNonInteractive, parseOutputMode, printJson, printText } from '../cli/output.js';
import { inventoryObject, inventoryRef, readInventory } from './inventory.js';
import { describeRef, GENERATED_LABEL, type ObjectRef } from '../kube/objects.js';
import { DATA_KINDS, teardownOrder } from './plan.js';
import { openSession, type DeployTarget } from './session.js';

/** What `qctl down` needs; bin/commands/down.ts turns the flags into it. */
export type DownOptions = { target: DeployTarget; yes?: boolean; pruneData?: boolean; output: string };

type Outcome = { kind: string; namespace?: string; name: string; action: 'deleted' | 'kept' | 'already gone'; reason?: string };

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * `qctl down`: deletes the inventory's objects in reverse apply order. Without --prune-data it
 * keeps what holds data (PVCs, the namespaces that contain them) and the generated credentials
 * that open that data, so a later `up` finds the database as it was.
 */
export async function runDown(root: string, flags: DownOptions): Promise<number> {
  const mode = parseOutputMode(flags.output);
  // Judged offline, before the cluster is contacted: nobody can answer the prompt here.
  if (!flags.yes && isNonInteractive()) {
    throw usageError(
      `refusing to delete env ${flags.target.env} without --yes in a non-interactive session (CI or no terminal): re-run with --yes (qctl status shows what is deployed)`,
    );
  }
  const session = await openSession(flags.target);
  const { kube, env, namespace } = session;
  const inventory = await readInventory(kube, namespace);
  if (!inventory) {
    if (mode === 'json') printJson({ ok: true, env, namespace, deleted: [], kept: [], note: 'nothing deployed' });
    else printText(`nothing to delete: no qctl inventory in namespace ${namespace} (context ${kube.target.context})\n`);
    return 0;
  }
  const ordered = teardownOrder(inventory.objects);
  const pruneData = flags.pruneData ?? false;
  const toDelete = ordered.filter((r) => pruneData || !DATA_KINDS.has(r.kind));
  const generated: ObjectRef[] = [];
  if (pruneData) {
    const namespaces = [
      ...new Set(inventory.objects.map((r) => (r.kind === 'Namespace' ? r.name : r.namespace)).filter((n): n is string => !!n)),
    ];
    for (const ns of namespaces) {
      for (const secret of await kube.list('v1', 'Secret', ns, { label: `${GENERATED_LABEL}=true` })) {
        generated.push({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: secret.metadata.name });
      }
      for (const pvc of await kube.list('v1', 'PersistentVolumeClaim', ns, { label: `qctl.dev/env=${env}` })) {
        generated.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: pvc.metadata.name });
      }
    }
  }
  if (!flags.yes) {
    const what = pruneData
      ? 'including PVCs, namespaces and generated credentials (the data is lost)'
      : 'keeping PVCs, namespaces and generated credentials';
    if (!(await confirm(`Delete ${toDelete.length} objects of env ${env} on context ${kube.target.context}, ${what}? [y/N] `))) {
      process.stderr.write('qctl: nothing deleted\n');
      return 1;
    }
  }
  const outcomes: Outcome[] = [];
  const namespaceDeletes = toDelete.filter((r) => r.kind === 'Namespace');
  for (const ref of [...toDelete.filter((r) => r.kind !== 'Namespace'), ...generated, ...namespaceDeletes]) {
    const gone = await kube.delete(ref);
    outcomes.push({ kind: ref.kind, namespace: ref.namespace, name: ref.name, action: gone ? 'deleted' : 'already gone' });
    if (mode === 'text') printText(`${gone ? 'deleted' : 'already gone'} ${describeRef(ref)}\n`);
  }
  const kept = ordered.filter((r) => !toDelete.includes(r));
  for (const ref of kept) {
    outcomes.push({
      kind: ref.kind,
      namespace: ref.namespace,
      name: ref.name,
      action: 'kept',
      reason: 'holds data (pass --prune-data to delete it)',
    });
    if (mode === 'text') printText(`kept ${describeRef(ref)} (holds data; --prune-data deletes it)\n`);
  }
  if (pruneData) {
    await kube.delete(inventoryRef(namespace));
  } else {
    // Remember what was kept, so `up` knows the data is there and a later `down --prune-data` finds it.
    await kube.apply(inventoryObject(env, namespace, { objects: kept, cluster: inventory.cluster }));
  }
  if (mode === 'json') printJson({ ok: true, env, namespace, context: kube.target.context, pruneData, objects: outcomes });
  else if (!pruneData)
    printText('generated credentials (postgres-credentials, redis-credentials, grafana-admin) were kept with the data\n');
  return 0;
}
