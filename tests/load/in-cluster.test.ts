import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadReportSchema } from '../../bin/load/report-schema.js';
import { runWorker, type WorkerSpec } from '../../bin/load/worker.js';
import { runQctl } from '../helpers/cli.js';
import { FakeKubeApi, type KubeObject } from '../helpers/fake-kube-api.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { startTarget, type Target } from './fixtures/target.js';

const NAMESPACE = 'quotes-dev';
const INDEX = 'batch.kubernetes.io/job-completion-index';
const IN_CLUSTER = ['load', '--env', 'dev', '--in-cluster'];
let target: Target;
let kube: FakeKubeApi;
let kubeconfig: string;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target?.stop();
});
afterEach(async () => {
  await kube?.stop();
});

async function startKube(): Promise<void> {
  kube = await new FakeKubeApi({ autoReady: false }).start();
  kubeconfig = kube.writeKubeconfig(['microk8s']);
  kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
}

type Container = {
  env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  image: string;
  resources: unknown;
  securityContext: unknown;
};
const containerOf = (job: KubeObject): Container =>
  (job.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;

/** The spec qctl gave the workers, aimed at the local target instead of the Service (which only exists in a cluster). */
function specOf(job: KubeObject, index: number): WorkerSpec {
  // The scenario source comes from the run's Secret, as the kubelet resolves secretKeyRef.
  const env = containerOf(job).env;
  const ref = env.find((e) => e.name === 'QCTL_LOAD_SOURCE')!.valueFrom!.secretKeyRef;
  const secret = kube.get('Secret', NAMESPACE, ref.name) as KubeObject & { data: Record<string, string> };
  const spec = {
    ...(JSON.parse(env.find((e) => e.name === 'QCTL_LOAD_WORKER')!.value!) as Omit<WorkerSpec, 'index' | 'source'>),
    source: JSON.parse(Buffer.from(secret.data[ref.key]!, 'base64').toString()) as WorkerSpec['source'],
  };
  const source = spec.source.kind === 'quotes' ? { ...spec.source, baseUrl: `${target.url}/` } : spec.source;
  return { ...spec, source, index };
}

/** A pod of the Indexed Job as the Job controller makes it: template labels, job-name, the index annotation. */
function putPod(job: KubeObject, index: number, status: Record<string, unknown>): string {
  const name = `${job.metadata.name}-${index}-x${index}`;
  const template = (job.spec as { template: { metadata: { labels: Record<string, string> } } }).template;
  kube.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NAMESPACE,
      labels: { ...template.metadata.labels, 'job-name': job.metadata.name, [INDEX]: String(index) },
      annotations: { [INDEX]: String(index) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true }],
    },
    spec: { containers: [{ name: 'worker', image: containerOf(job).image }] },
    status,
  });
  return name;
}

const running = { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }] };
const succeeded = {
  phase: 'Succeeded',
  conditions: [{ type: 'PodScheduled', status: 'True' }],
  containerStatuses: [{ name: 'worker', image: 'x', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
};

/** The stand-in kubelet: each pod runs the real worker (against the local target) and logs what it prints. */
function runPodsForReal(job: KubeObject, workers: number, log: (index: number, line: string) => string = (_, line) => line): void {
  for (let index = 0; index < workers; index++) {
    const name = putPod(job, index, running);
    void runWorker(specOf(job, index)).then((result) => {
      kube.setLogs(NAMESPACE, name, log(index, `qctl load worker ${index + 1}/${workers}: starting\n${JSON.stringify(result)}\n`));
      kube.setStatus('Pod', NAMESPACE, name, succeeded);
    });
  }
}

const env = () => ({ KUBECONFIG: kubeconfig, QCTL_POLL_MS: '200' });
const deletes = () => kube.requests.filter((r) => r.method === 'DELETE').map((r) => r.path.split('/').slice(-2).join('/'));

describe('qctl load --in-cluster --workers N', () => {
  it('creates an Indexed Job of N workers with the project pod shape, merges their logged results and deletes the Job', async () => {
    await startKube();
    kube.react({ kind: 'Job' }, (job) => runPodsForReal(job, 3));
    const before = (await target.stats()).count;
    const result = await runQctl(
      [...IN_CLUSTER, '--workers', '3', '--rate', '60', '--duration', '2s', '--start-delay', '2s', '--output', 'json'],
      { env: env() },
    );
    expect(result.stderr).toMatch(/Job quotes-dev\/quote-api-load-[a-z0-9]+: 3 workers \(quote-api-load:0\.1\.0\)/);
    expect(result.exitCode).toBe(0);

    const applied = kube.applies().map((r) => (typeof r.body === 'string' ? parseYaml(r.body) : r.body) as KubeObject);
    // The spec Secret comes before the Job (no pod starts without it), then is owned by the Job.
    expect(applied.map((o) => o.kind)).toEqual(['NetworkPolicy', 'NetworkPolicy', 'Secret', 'Job', 'Secret']);
    const job = applied[3]!;
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 0 });
    expect(job.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'quote-api-load', 'qctl.dev/env': 'dev' });
    const container = containerOf(job);
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } });
    expect(JSON.parse(container.env[0]!.value!)).toMatchObject({ count: 3, rate: 60, durationMs: 2000 });
    // The policies: workers may reach the API's http port, and the API accepts them.
    expect(applied[0]!.spec).toMatchObject({ policyTypes: ['Egress'], egress: [{ ports: [{ port: 8080 }] }] });
    expect(applied[1]!.spec).toMatchObject({
      policyTypes: ['Ingress'],
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'quote-api' } },
    });

    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.requests.sent).toBe(120);
    // The quotes scenario's sample read is marked as warm-up and not counted by the target.
    expect((await target.stats()).count - before).toBe(120);
    expect(report.workers).toMatchObject({ count: 3, inCluster: true, job: job.metadata.name, stopped: null });
    expect(report.workers!.list.map((w) => [w.index, w.state, w.sent])).toEqual([
      [0, 'complete', 40],
      [1, 'complete', 40],
      [2, 'complete', 40],
    ]);
    expect(report.interrupted).toBe(false);
    expect(deletes().sort()).toEqual(
      [
        `jobs/${job.metadata.name}`,
        `secrets/${job.metadata.name}-source`,
        `networkpolicies/${job.metadata.name}-egress`,
        `networkpolicies/${job.metadata.name}-to-api`,
      ].sort(),
    );
    expect(kube.list('Job', NAMESPACE)).toEqual([]);
    expect(kube.list('NetworkPolicy', NAMESPACE)).toEqual([]);
  });

  it('stops at a failed pod: deletes the Job and reports the others from their last checkpoint, marked partial (exit 1)', async () => {
    await startKube();
    kube.react({ kind: 'Job' }, (job) => {
      const first = putPod(job, 0, running);
      // Worker 1 runs on and logs a checkpoint (a real one: its run stopped after a second); then worker 0 fails.
      const second = putPod(job, 1, running);
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 1000);
      void runWorker({ ...specOf(job, 1), startAt: Date.now() }, { signal: stop.signal }).then((partial) => {
        kube.setLogs(NAMESPACE, second, `${JSON.stringify(partial)}\n`);
        kube.setStatus('Pod', NAMESPACE, first, {
          phase: 'Failed',
          containerStatuses: [{ name: 'worker', image: 'x', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
        });
      });
    });
    const result = await runQctl(
      [...IN_CLUSTER, '--workers', '2', '--rate', '40', '--duration', '30s', '--start-delay', '2s', '--output', 'json'],
      { env: env() },
    );
    expect(result.exitCode).toBe(1);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.interrupted).toBe(true);
    expect(report.workers!.stopped).toMatch(/^worker 0 \(pod quote-api-load-\S+\) failed \(OOMKilled, exit code 137\)$/);
    const [failed, partial] = report.workers!.list;
    expect(failed).toMatchObject({ state: 'missing', note: expect.stringMatching(/failed \(OOMKilled, exit code 137\)$/) });
    expect(partial).toMatchObject({ state: 'partial' });
    expect(partial!.sent).toBeGreaterThan(5);
    expect(report.requests.sent).toBe(partial!.sent);
    expect(report.verdict).toBe('fail');
    expect(deletes()).toContainEqual(expect.stringMatching(/^jobs\/quote-api-load-/));
    expect(kube.list('Job', NAMESPACE)).toEqual([]);
  });

  it("names Pending workers with the scheduler's reason, and on Ctrl-C deletes the Job and reports them", async () => {
    await startKube();
    const message = '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found.';
    kube.react({ kind: 'Job' }, (job) => {
      for (let index = 0; index < 2; index++) {
        putPod(job, index, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
      }
    });
    const child = execa(
      'node',
      [
        repoPath('bin/qctl.mjs'),
        'load',
        '--env',
        'dev',
        '--in-cluster',
        '--workers',
        '2',
        '--rate',
        '10',
        '--duration',
        '60s',
        '--output',
        'json',
      ],
      { env: { CI: 'true', ...env() }, reject: false },
    );
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/worker 1 \(pod \S+\) is Pending/.test(stderr)) resolve();
      });
    });
    expect(stderr).toContain(`worker 0 (pod quote-api-load-`);
    expect(stderr).toContain(`is Pending: ${message}`);
    child.kill('SIGINT');
    const result = await child;
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.workers!.stopped).toBe('stopped by Ctrl-C');
    expect(report.workers!.list.map((w) => [w.state, w.note])).toEqual([
      ['missing', `Pending: ${message}`],
      ['missing', `Pending: ${message}`],
    ]);
    expect(result.exitCode).toBe(1);
    expect(kube.list('Job', NAMESPACE)).toEqual([]);
    expect(kube.list('NetworkPolicy', NAMESPACE)).toEqual([]);
  });

  it('stops at the deadline with what the workers logged so far', async () => {
    await startKube();
    kube.react({ kind: 'Job' }, (job) => {
      putPod(job, 0, running);
    });
    const result = await runQctl(
      [...IN_CLUSTER, '--rate', '10', '--duration', '1s', '--start-delay', '1s', '--timeout', '1s', '--output', 'json'],
      { env: { ...env(), QCTL_LOAD_SLACK_MS: '500' } },
    );
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.workers!.stopped).toBe('not finished 3.5s after the Job was created (deadline)');
    expect(report.workers!.list[0]).toMatchObject({ state: 'missing', note: report.workers!.stopped });
    expect(result.exitCode).toBe(1);
    expect(kube.list('Job', NAMESPACE)).toEqual([]);
  });

  it('explains an image that cannot be pulled, as `up` does, and cleans up', async () => {
    await startKube();
    kube.react({ kind: 'Job' }, (job) => {
      putPod(job, 0, {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [
          {
            name: 'worker',
            image: 'registry.example/quote-api-load:9',
            state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } },
          },
        ],
      });
    });
    const result = await runQctl(
      [...IN_CLUSTER, '--image', 'registry.example/quote-api-load:9', '--duration', '5s', '--start-delay', '1s'],
      { env: env() },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/ImagePullBackOff: image "registry\.example\/quote-api-load:9"/);
    expect(result.stderr).toMatch(
      /fix: build the worker image with `docker build --target load -t registry\.example\/quote-api-load:9 \.`/,
    );
    expect(result.stdout).toMatch(/\(ImagePullBackOff: pod \S+ cannot pull image "registry\.example\/quote-api-load:9": partial results\)/);
    expect(kube.list('Job', NAMESPACE)).toEqual([]);
  });

  it('--dry-run prints the Job and its NetworkPolicies, which validate, and changes nothing', async () => {
    await startKube();
    const result = await runQctl([...IN_CLUSTER, '--workers', '8', '--rate', '8000', '--duration', '60s', '--dry-run'], {
      env: env(),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    const docs = parseAllDocuments(String(result.stdout)).map((d) => d.toJS() as KubeObject);
    expect(docs.map((d) => d.kind)).toEqual(['NetworkPolicy', 'NetworkPolicy', 'Secret', 'Job']);
    expect(docs[3]!.spec).toMatchObject({ completions: 8, parallelism: 8 });
    expect(JSON.parse(containerOf(docs[3]!).env[0]!.value!)).toMatchObject({ rate: 8000, count: 8, durationMs: 60000 });
    // The source Secret is printed without data: that is written only when the run is applied.
    expect(docs[2]).not.toHaveProperty('data');
    expect(kube.mutations()).toEqual([]);
    // What --dry-run prints passes `qctl validate` as it is.
    const file = join(mkdtempSync(join(tmpdir(), 'qctl-load-job-')), 'load-job.yaml');
    writeFileSync(file, String(result.stdout));
    const validate = await runQctl(['validate', file]);
    expect(validate.exitCode).toBe(0);
  });

  it('keeps --header values out of the Job: they travel in a Secret the Job owns, deleted with the run', async () => {
    await startKube();
    const token = 'Bearer tok-7f3a9c-secret';
    kube.react({ kind: 'Job' }, (job) => runPodsForReal(job, 2));
    const result = await runQctl(
      [...IN_CLUSTER, '--workers', '2', '--rate', '20', '--duration', '1s', '--start-delay', '2s', '--header', `Authorization: ${token}`],
      { env: env() },
    );
    expect(result.exitCode).toBe(0);
    const applied = kube.applies().map((r) => (typeof r.body === 'string' ? parseYaml(r.body) : r.body) as KubeObject);
    const job = applied.find((o) => o.kind === 'Job')!;
    expect(JSON.stringify(job)).not.toContain('tok-7f3a9c');
    expect(containerOf(job).env[1]).toEqual({
      name: 'QCTL_LOAD_SOURCE',
      valueFrom: { secretKeyRef: { name: `${job.metadata.name}-source`, key: 'source' } },
    });
    // The Secret is re-applied with the Job as its owner right after the Job exists.
    const owned = applied.filter((o) => o.kind === 'Secret').at(-1)!.metadata.ownerReferences;
    expect(owned).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: expect.stringMatching(/^uid-/) }]);
    // The workers sent it.
    expect((await target.stats()).headers.at(-1)?.authorization).toBe(token);
    expect(kube.list('Secret', NAMESPACE)).toEqual([]);
    expect(kube.list('Job', NAMESPACE)).toEqual([]);
  });

  it('--dry-run --output json prints the objects as a JSON List, without the headers', async () => {
    await startKube();
    const result = await runQctl(
      [...IN_CLUSTER, '--workers', '2', '--rate', '100', '--dry-run', '--output', 'json', '--header', 'Authorization: Bearer tok-55e1'],
      { env: env() },
    );
    expect(result.exitCode).toBe(0);
    const list = JSON.parse(String(result.stdout)) as { kind: string; items: KubeObject[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((o) => o.kind)).toEqual(['NetworkPolicy', 'NetworkPolicy', 'Secret', 'Job']);
    expect(String(result.stdout)).not.toContain('tok-55e1');
    expect(JSON.parse(containerOf(list.items[3]!).env[0]!.value!)).toMatchObject({ rate: 100, count: 2 });
    expect(kube.mutations()).toEqual([]);
  });

  it('refuses a URL: in-cluster workers send to the API Service', async () => {
    const result = await runQctl(['load', 'http://127.0.0.1:1/', '--env', 'dev', '--in-cluster']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe("qctl: --in-cluster sends to the environment's API Service: drop the URL (paths go in a targets file)\n");
  });
});
