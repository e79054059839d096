/**
 * bench:deploy — how long the deploy engine takes and how many API calls it makes for the real
 * synth output, against the local fake Kubernetes API (so this measures qctl, not a cluster):
 * first install, a no-op re-run (must change nothing), and a dry run. Then the number that
 * matters to a user re-running `up`: a no-op `qctl up` (the whole process) against a plain
 * sequence of server-side apply requests of the same objects (what `kubectl apply
 * --server-side -f dist/<env>` sends), with the ratio (goal: at most 1.5x).
 *
 * With QCTL_TEST_KUBE_ASSETS naming kube-assets (or --kube-assets DIR), the same no-op comparison
 * also runs on a real kube-apiserver (v1.24, microk8s look-alike) against its yardstick
 * `kubectl apply --server-side` of the same synthesized files, both as whole processes, runs
 * interleaved, with the ratio (goal of issue #24: at most 1.3x) and the load average.
 *
 *   npm run bench:deploy            (BENCH_RUNS=5 to take the median of more runs)
 *   npm run bench:deploy -- --real-only --kube-assets DIR   (only the real-server rows)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** What `npx qctl` runs: the CLI bundle (build/cli/, made by npm ci) while it is fresh, else the sources through tsx. */
const CLI_MODE = bundleIsFresh() ? 'bundle' : 'source';

function bundleIsFresh(): boolean {
  const bundle = 'build/cli/qctl.js';
  if (!existsSync(bundle)) return false;
  const builtAt = statSync(bundle).mtimeMs;
  const inputs = JSON.parse(readFileSync('build/cli/inputs.json', 'utf8')) as string[];
  return inputs.every((input) => existsSync(input) && statSync(input).mtimeMs <= builtAt);
}
const args = process.argv.slice(2);
const option = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const KUBE_ASSETS = option('--kube-assets') ?? process.env.QCTL_TEST_KUBE_ASSETS;
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
  return rows.map(([what, ms]) => [what, ms.toFixed(0)]);
}

/**
 * A no-op `qctl up` against `kubectl apply --server-side` of the same synthesized files on a real
 * API server (kube-assets, --microk8s), both whole processes, interleaved run by run.
 */
function benchRealServer(assets: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'qctl-bench-kube-'));
  const out = mkdtempSync(join(tmpdir(), 'qctl-bench-dist-'));
  const started = spawnSync(join(assets, 'start'), ['--dir', dir, '--microk8s'], { encoding: 'utf8' });
  const kubeconfig = /^KUBECONFIG=(.+)$/m.exec(started.stdout)?.[1];
  try {
    if (started.status !== 0 || !kubeconfig) throw new Error(`kube-assets did not start: ${started.stderr}`);
    const env = { ...process.env, KUBECONFIG: kubeconfig, CI: 'true', QCTL_FROM_SOURCE: CLI_MODE === 'source' ? '1' : '0' };
    const image = '127.0.0.1:32000/quote-api:bench';
    const run = (command: string, argv: string[]): number => {
      const t0 = performance.now();
      const result = spawnSync(command, argv, { env, encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
      return ms;
    };
    const up = ['bin/qctl.mjs', 'up', '--env', 'dev', '--cluster', 'microk8s', '--image', image];
    run('node', ['bin/qctl.mjs', 'synth', '--env', 'dev', '--cluster', 'microk8s', '--image', image, '--out', out]);
    run('node', up);
    // kubectl as a user would run it on the files synth wrote (the same field manager, so no conflicts).
    const kubectl = ['apply', '--server-side', '--field-manager', 'qctl', '-f', join(out, 'dev')];
    run('kubectl', kubectl);
    const times = { node: [] as number[], up: [] as number[], kubectl: [] as number[] };
    const loadBefore = loadavg()[0]!;
    for (let i = 0; i < RUNS; i++) {
      times.node.push(run('node', ['-e', '0']));
      times.up.push(run('node', up));
      times.kubectl.push(run('kubectl', kubectl));
    }
    const [n, u, k] = [median(times.node), median(times.up), median(times.kubectl)];
    const objects = readdirSync(join(out, 'dev')).length;
    console.log(
      `\nno-op on a real kube-apiserver (kube-assets, microk8s look-alike), dev, ${objects} files, median of ${RUNS} interleaved runs\n`,
    );
    print(
      ['process', 'ms', 'vs kubectl'],
      [
        ['node -e 0', n.toFixed(0), (n / k).toFixed(2)],
        [`qctl up, no-op (${CLI_MODE})`, u.toFixed(0), (u / k).toFixed(2)],
        ['kubectl apply --server-side -f dist/dev (yardstick)', k.toFixed(0), '1.00'],
      ],
    );
    console.log(
      `\nratio no-op up / kubectl: ${(u / k).toFixed(2)}x (goal <= 1.3x: ${u / k <= 1.3 ? 'met' : 'NOT met'}); ` +
        `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`,
    );
  } finally {
    spawnSync(join(assets, 'stop'), ['--dir', dir, '--wipe']);
    rmSync(out, { recursive: true, force: true });
  }
}

if (!args.includes('--real-only')) {
  const rows: Row[] = [];
  for (const env of ['dev', 'prod']) rows.push(...(await benchEngine(env)));
  console.log('deploy engine (in-process) against the fake API\n');
  print(
    ['env', 'run', 'objects', 'time ms', 'API requests', 'mutating', 'changed'],
    rows.map((r) => [r.env, r.run, String(r.objects), r.ms.toFixed(0), String(r.requests), String(r.mutating), String(r.changed)]),
  );
  console.log(
    `\nno-op \`qctl up\` (whole process, ${CLI_MODE === 'bundle' ? 'the CLI bundle' : 'sources through tsx: run npm run bundle:cli first for what npx qctl runs'}) vs a plain sequence of server-side applies of the same objects (median of ${RUNS})\n`,
  );
  const noop: string[][] = [];
  for (const env of ['dev', 'prod']) noop.push(await benchNoopUp(env));
  print(['env', 'objects', 'qctl up ms', 'requests', 'SSA sequence ms', 'requests', 'ratio'], noop);
  console.log('\nwhere a no-op `up` spends its time outside the engine: start-up (process wall time, median)\n');
  print(['what', 'ms'], await startupBreakdown());
  console.log(
    '\nfake API on 127.0.0.1 (no cluster). A no-op re-run sends no write at all: it lists the live objects (one request per kind and namespace) and compares them with what it would apply.',
  );
}
if (KUBE_ASSETS) benchRealServer(KUBE_ASSETS);
else console.log('\n(no real API server: set QCTL_TEST_KUBE_ASSETS or pass --kube-assets DIR for the kubectl comparison)');
