/**
 * bench:deploy — how long the deploy engine takes and how many API calls it makes for the real
 * synth output, against the local fake Kubernetes API (so this measures qctl, not a cluster):
 * first install, a no-op re-run (must change nothing), and a dry run. Then the number that
 * matters to a user re-running `up`: a no-op `qctl up` (the whole process) against a plain
 * sequence of server-side apply requests of the same objects (what `kubectl apply
 * --server-side -f dist/<env>` sends), with the ratio (goal: at most 1.5x).
 *
 *   npm run bench:deploy            (BENCH_RUNS=5 to take the median of more runs)
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { synthesize } from '../infra/main.js';
import { deployFlavour } from '../bin/deploy/clusters.js';
import { userSecretObject } from '../bin/deploy/credentials.js';
import { deploy } from '../bin/deploy/engine.js';
import { Kube, resolveKubeTarget } from '../bin/kube/client.js';
import { compact } from '../bin/deploy/live-state.js';
import type { KubeObject } from '../bin/kube/objects.js';
import { Progress } from '../bin/deploy/progress.js';
import { startFakeKubeApi } from '../tests/helpers/fake-kube-api.js';
import { DeployHarness } from '../tests/deploy/harness.js';

type Row = { env: string; run: string; objects: number; ms: number; requests: number; mutating: number; changed: number };

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));

/** What `npx qctl` runs: the compiled build when it is fresh (npm run build), else the sources through tsx (much slower start-up). */
const CLI_MODE = buildIsFresh() ? 'build' : 'source';

function buildIsFresh(): boolean {
  const compiled = 'build/bin/qctl.js';
  if (!existsSync(compiled)) return false;
  const builtAt = statSync(compiled).mtimeMs;
  return ['app', 'infra', 'bin'].every((dir) =>
    readdirSync(dir, { recursive: true, withFileTypes: true }).every(
      (e) => !e.isFile() || !e.name.endsWith('.ts') || statSync(`${e.parentPath}/${e.name}`).mtimeMs <= builtAt,
    ),
  );
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function print(header: string[], rows: string[][]): void {
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
}

async function benchEngine(env: string): Promise<Row[]> {
  const api = await startFakeKubeApi();
  try {
    const target = await resolveKubeTarget({ flavour: deployFlavour('microk8s'), kubeconfigPath: api.writeKubeconfig(['microk8s']) });
    const kube = new Kube(target);
    const synth = await synthesize({ env, cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:bench', config: false });
    const objects = [...(synth.objects as KubeObject[]), userSecretObject(env, synth.namespace, {})];
    const rows: Row[] = [];
    for (const [run, dryRun] of [
      ['first install', false],
      ['no-op re-run', false],
      ['dry run', true],
    ] as const) {
      api.requests.length = 0;
      const started = performance.now();
      const result = await deploy(
        kube,
        objects,
        {
          env,
          namespace: synth.namespace,
          timeoutMs: 10_000,
          pollMs: 10,
          imageHint: '',
          dryRun,
          pruneData: false,
          rollbackOnFailure: false,
        },
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

/** A no-op `qctl up` (whole process, from source like `npx qctl`) against a sequential server-side apply of the same objects. */
async function benchNoopUp(env: string): Promise<string[]> {
  const harness = await DeployHarness.create();
  const image = 'registry.example/quote-api:bench';
  try {
    const first = await harness.run(['up', '--env', env, '--image', image]);
    if (first.exitCode !== 0) throw new Error(`first up failed: ${String(first.stderr)}`);
    const upTimes: number[] = [];
    let requests = 0;
    for (let i = 0; i < RUNS; i++) {
      harness.api.requests.length = 0;
      const started = performance.now();
      const again = await harness.run(['up', '--env', env, '--image', image], {
        env: { QCTL_FROM_SOURCE: CLI_MODE === 'source' ? '1' : '0' },
      });
      upTimes.push(performance.now() - started);
      if (again.exitCode !== 0 || harness.api.mutations().length > 0) throw new Error(`no-op up was not a no-op: ${String(again.stdout)}`);
      requests = harness.api.requests.length;
    }
    // The baseline: one server-side apply per object, one after another (kubectl apply --server-side).
    const target = await resolveKubeTarget({ flavour: deployFlavour('microk8s'), kubeconfigPath: harness.kubeconfig });
    const kube = new Kube(target);
    const synth = await synthesize({ env, cluster: 'microk8s', image, config: false });
    const objects = [...(synth.objects as KubeObject[]), userSecretObject(env, synth.namespace, {})].map(compact);
    const applyTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      for (const object of objects) await kube.apply(object);
      applyTimes.push(performance.now() - started);
    }
    const up = median(upTimes);
    const apply = median(applyTimes);
    return [
      env,
      String(objects.length),
      up.toFixed(0),
      String(requests),
      apply.toFixed(0),
      String(objects.length),
      (up / apply).toFixed(2),
    ];
  } finally {
    await harness.stop();
  }
}

/** Wall time of a fresh process (median of RUNS), for the start-up share of a no-op `up`. */
async function processMs(args: string[], env: Record<string, string> = {}): Promise<number> {
  const { execa } = await import('execa');
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await execa('node', args, { env: { ...process.env, ...env } });
    times.push(performance.now() - started);
  }
  return median(times);
}

async function startupBreakdown(): Promise<string[][]> {
  const importMs = (module: string) => processMs(['--input-type=module', '-e', `await import(${JSON.stringify(module)})`]);
  const rows: [string, number][] = [
    ['node -e 0', await processMs(['-e', '0'])],
    [
      `qctl --version (${CLI_MODE})`,
      await processMs(['bin/qctl.mjs', '--version'], { QCTL_FROM_SOURCE: CLI_MODE === 'source' ? '1' : '0' }),
    ],
    ['import @kubernetes/client-node', await importMs('@kubernetes/client-node')],
  ];
  if (CLI_MODE === 'build') rows.push(['import infra/main (cdk8s, dashboards)', await importMs(`${process.cwd()}/build/infra/main.js`)]);
  return rows.map(([what, ms]) => [what, ms.toFixed(0)]);
}

const rows: Row[] = [];
for (const env of ['dev', 'prod']) rows.push(...(await benchEngine(env)));
console.log('deploy engine (in-process) against the fake API\n');
print(
  ['env', 'run', 'objects', 'time ms', 'API requests', 'mutating', 'changed'],
  rows.map((r) => [r.env, r.run, String(r.objects), r.ms.toFixed(0), String(r.requests), String(r.mutating), String(r.changed)]),
);
console.log(
  `\nno-op \`qctl up\` (whole process, ${CLI_MODE === 'build' ? 'compiled build' : 'sources through tsx: run npm run build first for what npx qctl runs'}) vs a plain sequence of server-side applies of the same objects (median of ${RUNS})\n`,
);
const noop: string[][] = [];
for (const env of ['dev', 'prod']) noop.push(await benchNoopUp(env));
print(['env', 'objects', 'qctl up ms', 'requests', 'SSA sequence ms', 'requests', 'ratio'], noop);
console.log('\nwhere a no-op `up` spends its time outside the engine: start-up (process wall time, median)\n');
print(['what', 'ms'], await startupBreakdown());
console.log(
  '\nfake API on 127.0.0.1 (no cluster). A no-op re-run sends no write at all: it lists the live objects (one request per kind and namespace) and compares them with what it would apply.',
);
