/**
 * bench:deploy — how long the deploy engine takes and how many API calls it makes for the real
 * synth output, against the local fake Kubernetes API (so this measures qctl, not a cluster):
 * first install, a no-op re-run (must change nothing), and a dry run.
 *
 *   npm run bench:deploy
 */
import { synthesize } from '../infra/main.js';
import { deployFlavour } from '../bin/deploy/clusters.js';
import { userSecretObject } from '../bin/deploy/credentials.js';
import { deploy } from '../bin/deploy/engine.js';
import { Kube, resolveKubeTarget } from '../bin/deploy/kube.js';
import type { KubeObject } from '../bin/deploy/objects.js';
import { Progress } from '../bin/deploy/progress.js';
import { startFakeKubeApi } from '../tests/helpers/fake-kube-api.js';

type Row = { env: string; run: string; objects: number; ms: number; requests: number; mutating: number; changed: number };

async function benchEnv(env: string): Promise<Row[]> {
  const api = await startFakeKubeApi();
  try {
    const target = await resolveKubeTarget({ flavour: deployFlavour('microk8s'), kubeconfigPath: api.writeKubeconfig(['microk8s']) });
    const kube = new Kube(target);
    const synth = await synthesize({ env, cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:bench', config: false });
    const objects = [...(synth.objects as KubeObject[]), userSecretObject(env, synth.namespace, {})];
    const rows: Row[] = [];
    for (const [run, dryRun] of [['first install', false], ['no-op re-run', false], ['dry run', true]] as const) {
      api.requests.length = 0;
      const started = performance.now();
      const result = await deploy(
        kube,
        objects,
        { env, namespace: synth.namespace, timeoutMs: 10_000, pollMs: 10, imageHint: '', dryRun, pruneData: false, rollbackOnFailure: false },
        new Progress('json', true),
      );
      if (!result.ok) throw new Error(`${env} ${run} failed: ${result.error?.message}`);
      rows.push({
        env,
        run,
        objects: objects.length,
        ms: performance.now() - started,
        requests: api.requests.length,
        mutating: api.mutations().length,
        changed: result.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skipped').length,
      });
    }
    return rows;
  } finally {
    await api.stop();
  }
}

const rows: Row[] = [];
for (const env of ['dev', 'prod']) rows.push(...(await benchEnv(env)));
const header = ['env', 'run', 'objects', 'time ms', 'API requests', 'mutating', 'changed'];
const table = [header, ...rows.map((r) => [r.env, r.run, String(r.objects), r.ms.toFixed(0), String(r.requests), String(r.mutating), String(r.changed)])];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
console.log('\nfake API on 127.0.0.1 (no cluster); "mutating" counts non-dry-run writes: a no-op re-run only re-applies (server-side apply is idempotent) and changes 0 objects.');
