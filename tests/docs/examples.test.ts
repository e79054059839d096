import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorker, type WorkerSpec } from '../../bin/load/worker.js';
import { DeployHarness } from '../deploy/harness.js';
import { startFakePrometheus, type FakePrometheus } from '../helpers/fake-prometheus.js';
import { readyStatus, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { freePort } from '../helpers/ports.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { loadQuoteFixture, REPO_ROOT, repoPath } from '../helpers/quotes-fixture.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { startFakeDummyJson, type FakeDummyJson } from '../seed/fake-dummyjson.js';
import { startFakeOpenAI, type FakeOpenAI } from '../seed/fake-openai.js';
import { commandKey, extractDocs, withoutComment, type DocCommand } from './examples.js';

/**
 * Every command example of README.md and docs/*.md runs here, for real, against local
 * stand-ins: a fake Kubernetes API (kubeconfig contexts microk8s, kind-kind, prod-eu),
 * recording fakes of docker, microk8s, kind, kubectl and $EDITOR on PATH, a fake OpenAI, a
 * fake DummyJSON, a fake Prometheus (for the canary analysis), a real redis-server and Postgres (PGlite), and a `qctl dev` serving the API
 * for the load examples. All commands share one working directory (a git project with a
 * Dockerfile, the docs' files and a quotes.json) and run in the order the docs show them.
 *
 * When the docs change:
 * - a new qctl command runs with the default expectation (exit 0, no stack trace, some output);
 *   if it should fail or cannot run here, add it to EXPECT or NOT_RUN under its key (the
 *   line without its comment and without `npx `, as the failure message prints it);
 * - a new line that does not run qctl (npm, sudo, curl, ...) fails the first test until it is
 *   listed: in NOT_RUN with the reason, or in EXPECT to run it;
 * - a changed or removed command leaves a stale entry behind, and the first test names it.
 */

/** Commands that cannot run on a CI machine, with the reason. */
const NOT_RUN: Record<string, string> = {
  'npm test': 'the whole test suite, which includes this test',
  'npm run pipeline -- rehearse': 'starts qctl dev and runs the pipeline steps: tests/ci/pipeline.test.ts runs it',
  'QCTL_TEST_KUBE_ASSETS=/path/to/kube-assets npm run pipeline -- rehearse':
    'starts a real kube-apiserver from kube-assets beside the checkout; its deploy/diff/canary/abort steps are run by hand and reported in the closing note, the qctl commands they use are checked in tests/ci/pipeline.test.ts',
  'npm run pipeline -- canary --env prod --print':
    'prints the qctl commands of a step; tests/ci/pipeline.test.ts runs --print for every step',
  'npm run dev': 'the npm script for `qctl dev` (node bin/qctl.mjs dev), which the qctl dev examples start and check',
  'sudo snap install microk8s --classic': 'installs software on the host (needs the internet and root)',
  'microk8s enable dns hostpath-storage registry ingress metrics-server':
    'changes a real microk8s cluster; the fake microk8s would accept anything and prove nothing',
  'open http://quotes.127.0.0.1.nip.io/': 'opens a browser on a deployed cluster',
  'qctl load --env dev --rate 100 --duration 30s --slo "p99<250ms,errors<0.1%"':
    'needs the dev ingress answering at quotes.127.0.0.1.nip.io (public DNS and a real ingress controller); --env targeting is tested in tests/load/cluster.test.ts',
  'qctl load --env dev --ramp 50:500:50:20s --slo "p99<250ms,errors<1%" --watch-hpa --report ramp.html':
    'needs the dev ingress (public DNS, an ingress controller) and a live HPA; --watch-hpa is tested against the fake API in tests/load/cluster.test.ts',
  'docker build --target load -t 127.0.0.1:32000/quote-api-load:0.1.0 .':
    "builds an image with a real Docker engine; the Dockerfile's load target is checked in tests/infra/image-and-compose.test.ts and its bundle in bench and tests/load",
  'qctl load --env dev --ramp 50:400:50:60s --watch-hpa --hpa-interval 5s --report hpa.html':
    'needs the dev ingress (public DNS, an ingress controller) and a live HPA; --watch-hpa is tested against the fake API in tests/load/cluster.test.ts',
  'microk8s enable community': 'changes a real microk8s cluster (adds the community addon repository)',
  'microk8s enable istio': 'installs Istio into a real microk8s cluster',
  'microk8s kubectl apply -f gatewayclass.yaml': 'creates a GatewayClass in a real cluster with Envoy Gateway installed',
  'microk8s helm install eg oci://docker.io/envoyproxy/gateway-helm --version v1.2.6 -n envoy-gateway-system --create-namespace':
    'installs Envoy Gateway into a real cluster (needs the internet)',
  'qctl up --canary 20':
    'releases the tree after a new commit as a canary: here the tree is the one already deployed, and its analysis needs the in-cluster Prometheus through a port-forward; the flow is tested in tests/canary/canary-cli.test.ts, and the --image examples of README.md and docs/deploy.md run here',
  'qctl up --canary 20 --canary-steps 40,70':
    'needs a Gateway API implementation and a new commit; the weights stepped on an HTTPRoute are tested in tests/canary/canary-cli.test.ts',
};

interface Expectation {
  /** Default 0; a list when the outcome depends on the machine (e.g. an SLO on a busy CI box). */
  exit?: number | number[];
  stdout?: RegExp;
  stderr?: RegExp;
}

/** Commands whose expected result is not "exit 0", or whose output is checked more closely. */
const EXPECT: Record<string, Expectation> = {
  'qctl synth --env prod': { stdout: /00-namespace\.yaml\s+Namespace\s+-\s+quotes-prod/ },
  'qctl synth --env dev --out - | kubectl apply -f -': { stderr: /objects in \d+ files; validation: 0 error\(s\)/ },
  'qctl validate dist/prod': { stdout: /0 error\(s\)/ },
  'qctl synth --env prod --set postgres.maxConnections=100': {
    exit: 2,
    stderr:
      /connection budget needs 120 .*raise postgres\.maxConnections to 120, or lower api\.dbPoolMax to 8, or set postgres\.pooler=pgbouncer/,
  },
  'qctl synth --env prod --set postgres.maxConnections=100 --set postgres.pooler=pgbouncer': {
    stdout: /25-pgbouncer\.yaml\s+ConfigMap[\s\S]*validation: 0 error\(s\)/,
  },
  // The SLO verdict depends on how busy the machine is; the run itself must work and report.
  'qctl load --rate 200 --duration 30s --slo "p99<250ms,p50<50ms,errors<0.1%,rate>=0.99"': {
    exit: [0, 1],
    stdout: /^verdict\s+(PASS|FAIL)$/m,
  },
  // The SLO verdict depends on how busy the machine is; the threads must run and report together.
  // qctl dev is on this machine: below 8 cores the threads are capped at half the cores, and the report says so.
  'qctl load --workers 4 --rate 2000 --duration 1m --slo "p99<100ms,rate>=0.99"': {
    exit: [0, 1],
    stdout:
      /^workers {4}([1-3] of 4 asked — the target is on this machine \(127\.0\.0\.1\)|4 threads, merged exactly)[\s\S]*^verdict\s+(PASS|FAIL)/m,
  },
  // The stand-in kubelet runs the 8 workers (see beforeAll); at 8,000 req/s the local API may breach the SLO.
  'qctl load --in-cluster --workers 8 --env dev --rate 8000 --duration 60s --slo "p99<100ms"': {
    exit: [0, 1],
    stdout: /^workers {4}8 pods of Job quote-api-load-[a-z0-9]+, merged exactly/m,
  },
  'qctl load --in-cluster --workers 8 --env dev --rate 8000 --duration 60s --dry-run': {
    stdout: /^kind: Job\n[\s\S]*completions: 8\n/m,
  },
  // Every line of the targets file answered 2xx (the POST is a duplicate after the warm-up sent it once).
  'qctl load http://127.0.0.1:8080 --scenario targets.txt --rate 20 --duration 10s': {
    stdout: /^requests .* 0 errors \(0\.00%\)\n[\s\S]*^status\s+200: \d+$/m,
  },
  // After `qctl down --yes` there is everything to create again.
  'qctl diff --exit-code': { exit: 1, stdout: /\(create\)/ },
  'qctl diff --env prod --image ghcr.io/acme/quote-api:1.5.0 --exit-code --output json': {
    exit: 1,
    stdout: /"image": "ghcr\.io\/acme\/quote-api:1\.5\.0"/,
  },
  // The fake kind cluster, like a fresh one, serves no metrics API: doctor names the gap and its fix.
  'qctl doctor --cluster kind --output json': {
    exit: 1,
    stdout: /"fix": "kubectl apply -f https:\/\/github\.com\/kubernetes-sigs\/metrics-server\//,
  },
  'qctl down --env dev': { exit: 2, stderr: /without --yes in a non-interactive session \(CI or no terminal\): re-run with --yes/ },
  // The fake Prometheus answers good numbers for 1.5.0: the canary is promoted. Ingress mode with one stable pod:
  // the replica ratio gives the canary half the requests at 20% as at 50%, so qctl runs the one real step and says so.
  'qctl up --image ghcr.io/acme/quote-api:1.5.0 --canary 20 --analysis-interval 30s --prometheus-url http://127.0.0.1:9090': {
    stdout:
      /steps: 20% -> 50% runs as 50% \(1 pod, for 20% and 50%\)[\s\S]*step 1\/1 \(canary 50%\) check 2, user requests [^:]+:[^:]+:[^ ]+ UTC \([^)]+\): pass -> promote[\s\S]*promoted: quotes-dev\/quote-api runs ghcr\.io\/acme\/quote-api:1\.5\.0/,
  },
  'qctl up --image ghcr.io/acme/quote-api:1.5.0 --canary 10 --canary-steps 25,50 --max-error-ratio 0.5% --max-p99 300ms --analysis-interval 30s --prometheus-url http://127.0.0.1:9090 --output json':
    { stdout: /"outcome": "promoted"/ },
  // --canary 10 beside one stable pod: one canary pod, half the requests (the real share, not the 10% asked for).
  'qctl status': { stdout: /canary in progress: ghcr\.io\/acme\/quote-api:1\.6\.0 takes 50%/ },
  'qctl abort': {
    stdout:
      /aborted: aborted by hand; the canary objects are removed and quotes-dev\/quote-api still runs ghcr\.io\/acme\/quote-api:1\.5\.0/,
  },
  'qctl promote': { stdout: /promoted: quotes-dev\/quote-api runs ghcr\.io\/acme\/quote-api:1\.6\.0/ },
};

/**
 * How a documented command is adapted to run here, each for a stated reason. Nothing else
 * about a command changes.
 */
function adapt(key: string, ctx: Context, serverPort: number, apiPort: number): string {
  return (
    key
      // The first-start seed and `qctl seed` read DummyJSON: the fake one, not the internet
      // (`seed --reembed` fetches nothing and refuses the flag).
      .replace(/\bqctl (dev|seed)\b/g, (all, command: string) =>
        command === 'seed' && /--reembed\b/.test(key) ? all : `qctl ${command} --dummyjson-url ${ctx.dummyJson.url}`,
      )
      // Load runs are cut to a second (and ramps to two steps): what they measure is tested in tests/load.
      .replace(/--duration \S+/g, '--duration 1s')
      .replace(
        /--ramp (\d+):(\d+):(\d+)(:\S+)?/g,
        (_all, a: string, b: string, s: string) => `--ramp ${a}:${Math.min(Number(b), Number(a) + Number(s))}:${s}:1s`,
      )
      // The Job's pods start at once here (no scheduling, no image pull): no need to wait 30 s for them.
      .replace(/--in-cluster/g, '--in-cluster --start-delay 2s')
      // Fixed ports may be taken on a shared machine: the stand-ins listen on free ones.
      .replace(/127\.0\.0\.1:8080/g, `127.0.0.1:${apiPort}`)
      .replace(/--port \d+/g, `--port ${serverPort}`)
      .replace(/--prometheus-url http:\/\/127\.0\.0\.1:9090/g, `--prometheus-url ${ctx.prometheus.url}`)
      // Canary checks every 50 ms instead of 30 s: what the analysis decides is tested in tests/canary.
      .replace(/--analysis-interval \S+/g, '--analysis-interval 50ms')
      .replace(/redis:\/\/(127\.0\.0\.1|localhost):6379/g, ctx.redis.url)
      .replace(/postgres:\/\/\S+@(db|localhost):5432\/quotes/g, ctx.postgres.url)
  );
}

interface Context {
  harness: DeployHarness;
  openai: FakeOpenAI;
  dummyJson: FakeDummyJson;
  redis: RedisServer;
  postgres: EmbeddedPostgres;
  /** The Prometheus of the canary examples, answering good numbers for the versions they release. */
  prometheus: FakePrometheus;
  /** Port of the `qctl dev` that the load examples target ($PORT, which qctl load follows). */
  apiPort: number;
  stopApi: () => Promise<void>;
}

const { commands, files } = extractDocs(REPO_ROOT);
/** `cmd &` runs like `cmd`, kept running for the rest of its block. */
const keyOf = (command: DocCommand) => commandKey(command.text).replace(/\s*&$/, '');
const byKey = new Map<string, DocCommand[]>();
for (const command of commands) byKey.set(keyOf(command), [...(byKey.get(keyOf(command)) ?? []), command]);
/** Only qctl command lines run by default; anything else (npm, sudo, curl, ...) must be listed, so no doc edit can make this test run an arbitrary command. */
const runsQctl = (key: string) => /(^|[\s|&;(])qctl(\s|$)/.test(key);
const isDevServer = (key: string) => /(^|\s)qctl dev(\s|$)/.test(key) && !/--help/.test(key);
const isBackground = (command: DocCommand) => /&\s*$/.test(withoutComment(command.text));

let ctx: Context;

/** The whole environment of a command: nothing leaks in from the machine running the tests. */
function env(ctxt: Context, key: string, extra: Record<string, string> = {}): Record<string, string> {
  // PORT: where `qctl dev` listens and `qctl load` without a URL sends (the stand-in unless overridden).
  const all = ctxt.harness.env({
    CI: 'true',
    PATH: ctxt.harness.bins.path(),
    PORT: String(ctxt.apiPort),
    OPENAI_BASE_URL: ctxt.openai.url,
    // Only the examples that pass the key on from the environment get one.
    OPENAI_API_KEY: key.includes('$OPENAI_API_KEY') ? 'sk-docs-example' : undefined,
    EDITOR: join(ctxt.harness.bins.dir, 'editor'),
    ...extra,
  });
  return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

async function waitForHealth(port: number, child: { exitCode: number | null }, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (code ${child.exitCode}) before answering /healthz`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing answered http://127.0.0.1:${port}/healthz within ${timeoutMs} ms`);
}

/** Starts a shell command as its own process group and returns how to stop it (Ctrl-C, as a person would). */
function startServer(command: string, cwd: string, environment: Record<string, string>) {
  // bash runs a one-command line by exec, so the Ctrl-C reaches qctl itself and its exit code is qctl's.
  const child = spawn('bash', ['-c', command], { cwd, env: environment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return {
    child,
    output: () => output,
    async stop(): Promise<number | null> {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      const timer = setTimeout(() => child.exitCode === null && process.kill(-child.pid!, 'SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

beforeAll(async () => {
  // A few quotes keep every first-start seed (and its vector index build) short.
  const quotes = loadQuoteFixture().slice(0, 24);
  const [harness, openai, dummyJson, redis, postgres, apiPort, prometheus] = await Promise.all([
    DeployHarness.create({ contexts: ['microk8s', 'kind-kind', 'prod-eu'] }),
    startFakeOpenAI(),
    startFakeDummyJson(quotes),
    startRedisServer(),
    startTestPostgres(),
    freePort(),
    startFakePrometheus(),
  ]);
  for (const version of ['1.4.2', '1.5.0']) prometheus.set('quotes-dev', version, { requests: 600, errors: 0, p99Seconds: 0.05 });
  harness.bins.add('kind').add('kubectl').add('editor');
  // A cluster set up as the docs say (microk8s enable ingress; kind with ingress-nginx).
  for (const name of ['public', 'nginx'])
    harness.api.put({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name }, spec: {} });
  playLoadWorkers(harness.api, apiPort);
  // `qctl` on PATH runs this checkout, the way `npm link` would.
  const shim = join(harness.bins.dir, 'qctl');
  writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(repoPath('bin/qctl.mjs'))} "$@"\n`);
  chmodSync(shim, 0o755);
  // The files the examples name: the docs' own file blocks, a quotes file, a .env, YAML to validate.
  harness.writeProjectFile('quotes.json', JSON.stringify(quotes.slice(0, 20).map(({ quote, author }) => ({ quote, author }))));
  harness.writeProjectFile('.env', 'OPENAI_API_KEY=sk-from-dotenv\n');
  mkdirSync(join(harness.project, 'k8s'), { recursive: true });
  harness.writeProjectFile(
    'k8s/config.yaml',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config, namespace: demo}\ndata: {LOG_LEVEL: info}\n',
  );
  harness.writeProjectFile('extra.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n');
  const partial = { harness, openai, dummyJson, redis, postgres, apiPort, prometheus, stopApi: async () => undefined } as Context;
  const api = startServer(`qctl dev --ephemeral --dummyjson-url ${dummyJson.url}`, harness.project, env(partial, ''));
  await waitForHealth(apiPort, api.child).catch((error: Error) => {
    throw new Error(`${error.message}\n${api.output()}`);
  });
  ctx = { ...partial, stopApi: async () => void (await api.stop()) };
}, 180_000);

/**
 * The kubelet of `qctl load --in-cluster`: each pod of a load Job runs the real worker in this
 * process, with the API Service's cluster-DNS name standing for the local `qctl dev`, and logs
 * its result line. Other Jobs (migrate, seed) become complete as the fake API's auto-ready does.
 */
function playLoadWorkers(api: FakeKubeApi, apiPort: number): void {
  api.react({ kind: 'Job' }, (job) => {
    if (job.metadata.labels?.['app.kubernetes.io/name'] !== 'quote-api-load') {
      job.status = readyStatus(job) ?? job.status;
      return;
    }
    const template = (job.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } })
      .template;
    // The scenario source travels in the run's Secret (secretKeyRef), as the kubelet would resolve it.
    const env = template.spec.containers[0]!.env as {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef: { name: string; key: string } };
    }[];
    const ref = env.find((e) => e.name === 'QCTL_LOAD_SOURCE')!.valueFrom!.secretKeyRef;
    const secret = api.get('Secret', job.metadata.namespace, ref.name) as unknown as { data: Record<string, string> };
    const spec: Omit<WorkerSpec, 'index'> = {
      ...(JSON.parse(env.find((e) => e.name === 'QCTL_LOAD_WORKER')!.value!) as Omit<WorkerSpec, 'index' | 'source'>),
      source: JSON.parse(Buffer.from(secret.data[ref.key]!, 'base64').toString()) as WorkerSpec['source'],
    };
    const local = new URL(`http://127.0.0.1:${apiPort}/`);
    const source = spec.source.kind === 'quotes' ? { ...spec.source, baseUrl: local.href } : spec.source;
    for (let index = 0; index < spec.count; index++) {
      const name = `${job.metadata.name}-${index}`;
      const namespace = job.metadata.namespace!;
      api.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace,
          labels: { ...template.metadata.labels, 'job-name': job.metadata.name },
          annotations: { 'batch.kubernetes.io/job-completion-index': String(index) },
        },
        status: { phase: 'Running' },
      });
      void runWorker({ ...spec, source, index }).then((result) => {
        api.setLogs(namespace, name, `${JSON.stringify(result)}\n`);
        api.setStatus('Pod', namespace, name, { phase: 'Succeeded' });
      });
    }
  });
}
type Container = { env: { name: string; value: string }[] };

afterAll(async () => {
  await ctx?.stopApi();
  await Promise.all([
    ctx?.harness.stop(),
    ctx?.openai.stop(),
    ctx?.dummyJson.stop(),
    ctx?.redis.stop(),
    ctx?.postgres.stop(),
    ctx?.prometheus.stop(),
  ]);
});

/** The docs' own files (```text targets.txt), with the same port adaptation as the commands. */
function writeDocFiles(apiPort: number): void {
  for (const file of files) ctx.harness.writeProjectFile(file.name, file.content.replace(/127\.0\.0\.1:8080/g, `127.0.0.1:${apiPort}`));
}

function expectExit(code: number | undefined, expected: Expectation, shown: string): void {
  const allowed = Array.isArray(expected.exit) ? expected.exit : [expected.exit ?? 0];
  expect(allowed, shown).toContain(code);
}

type Background = { port: number; stop: () => Promise<number | null>; output: () => string };

describe('docs examples', () => {
  it('every documented command is run below or listed in NOT_RUN with its reason, and no entry is stale', () => {
    expect(byKey.size).toBeGreaterThan(30);
    const stale = [...Object.keys(NOT_RUN), ...Object.keys(EXPECT)].filter((key) => !byKey.has(key));
    expect(stale, 'entries for commands no doc shows any more').toEqual([]);
    const bothWays = Object.keys(EXPECT).filter((key) => key in NOT_RUN);
    expect(bothWays).toEqual([]);
    const unlisted = [...byKey.keys()].filter((key) => !runsQctl(key) && !(key in NOT_RUN) && !(key in EXPECT));
    expect(unlisted, 'commands other than qctl: add each to NOT_RUN (with the reason) or to EXPECT (to run it)').toEqual([]);
  });

  const done = new Set<string>();
  const blocks = [...new Set(commands.map((c) => c.block))].map((block) => commands.filter((c) => c.block === block));
  for (const block of blocks) {
    // A `qctl dev &` of this block, serving the commands after it.
    let background: Background | undefined;
    let startsBackground = false;
    for (const command of block) {
      const key = keyOf(command);
      if (key in NOT_RUN || done.has(key) || (!runsQctl(key) && !(key in EXPECT))) continue;
      done.add(key);
      const where = byKey
        .get(key)!
        .map((p) => p.where)
        .join(', ');
      const expected = EXPECT[key] ?? {};
      if (isDevServer(key)) {
        const keepRunning = isBackground(command);
        startsBackground ||= keepRunning;
        it(`${where}: ${key}${keepRunning ? ' (kept running for the block)' : ''}`, async () => {
          const port = await freePort();
          const server = startServer(adapt(key, ctx, port, port), ctx.harness.project, env(ctx, key, { PORT: String(port) }));
          let passed = false;
          try {
            await waitForHealth(port, server.child);
            const list = (await fetch(`http://127.0.0.1:${port}/quotes?limit=3`).then((r) => r.json())) as { items: unknown[] };
            expect(list.items.length).toBeGreaterThan(0);
            passed = true;
          } finally {
            if (keepRunning && passed) background = { port, stop: server.stop, output: server.output };
            else expectExit((await server.stop()) ?? undefined, expected, server.output());
          }
        }, 180_000);
        continue;
      }
      it(`${where}: ${key}`, async () => {
        const apiPort = background?.port ?? ctx.apiPort;
        writeDocFiles(apiPort);
        const result = await execa('sh', ['-c', adapt(key, ctx, 0, apiPort)], {
          cwd: ctx.harness.project,
          env: env(ctx, key, { PORT: String(apiPort) }),
          extendEnv: false,
          reject: false,
          timeout: 120_000,
        });
        const stdout = String(result.stdout);
        const stderr = String(result.stderr);
        const shown = `exit ${result.exitCode}\n--- stdout\n${stdout.slice(0, 3000)}\n--- stderr\n${stderr.slice(0, 3000)}`;
        expectExit(result.exitCode, expected, shown);
        expect(stderr, shown).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?\n/);
        expect(`${stdout}${stderr}`.trim(), 'a command says what it did').not.toBe('');
        if (expected.stdout) expect(stdout, shown).toMatch(expected.stdout);
        if (expected.stderr) expect(stderr, shown).toMatch(expected.stderr);
      }, 180_000);
    }
    if (startsBackground) {
      it(`${block[0]!.where}: the block's background qctl dev stops cleanly on Ctrl-C`, async () => {
        expect(background, 'the background server started').toBeDefined();
        const server = background!;
        background = undefined;
        expectExit((await server.stop()) ?? undefined, {}, server.output());
      }, 60_000);
    }
  }
});
