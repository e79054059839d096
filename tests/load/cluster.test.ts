import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingressUrl, loadEnvironment } from '../../bin/load/env-target.js';
import { getEnvironment } from '../../infra/environments.js';
import type { ExposureMode } from '../../infra/settings-schema.js';
import { loadReportSchema } from '../../bin/load/report-schema.js';
import { isLocalHost } from '../../bin/load/target.js';
import { runQctl } from '../helpers/cli.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { startTarget, type Target } from './fixtures/target.js';

const NAMESPACE = 'quotes-dev';
let kube: FakeKubeApi;
let kubeconfig: string;
let target: Target;

function putApi(): void {
  kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  kube.put({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'quote-api', namespace: NAMESPACE },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'quote-api' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    },
    status: {
      currentReplicas: 1,
      desiredReplicas: 1,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 20 } } }],
    },
  });
  kube.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'quote-api', namespace: NAMESPACE },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'quote-api' } },
      template: { metadata: {}, spec: { containers: [] } },
    },
    status: { replicas: 1, readyReplicas: 1 },
  });
}

beforeAll(async () => {
  kube = await new FakeKubeApi({ autoReady: false }).start();
  kubeconfig = kube.writeKubeconfig(['microk8s']);
  target = await startTarget();
});
afterAll(async () => {
  await target?.stop();
  await kube?.stop();
});

describe('--env targets', () => {
  it("resolves an environment to its ingress URL, which counts as the user's own (local) target", async () => {
    const dev = ingressUrl(await loadEnvironment('dev'));
    expect(dev?.href).toBe('http://quotes.127.0.0.1.nip.io/');
    expect(isLocalHost(dev!.hostname)).toBe(true);
    const staging = ingressUrl(await loadEnvironment('staging'));
    expect(staging?.hostname).toMatch(/127\.0\.0\.1\.nip\.io$/);
    // An HTTPRoute routes the same host; a NodePort or no exposure means a port-forward instead.
    const inMode = (mode: ExposureMode) => getEnvironment('dev', [{ source: 'test', values: { ingress: { mode } } }]);
    expect(ingressUrl(inMode('gateway'))?.href).toBe('http://quotes.127.0.0.1.nip.io/');
    expect(ingressUrl(inMode('nodeport'))).toBeNull();
    expect(ingressUrl(inMode('none'))).toBeNull();
  });

  it('rejects an unknown environment with exit 2', async () => {
    const result = await runQctl(['load', '--env', 'qa', '--rate', '1', '--duration', '1s']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/unknown environment "qa": use one of dev, staging, prod/);
  });

  it('takes --context like every other command (--kube-context still works, with a deprecation note)', async () => {
    const env = { KUBECONFIG: kubeconfig };
    const args = ['load', '--env', 'dev', '--port-forward', '--rate', '1', '--duration', '1s'];
    const [current, old] = await Promise.all([
      runQctl([...args, '--context', 'kind-dev'], { env }),
      runQctl([...args, '--kube-context', 'kind-dev'], { env }),
    ]);
    const wrongContext = 'qctl: context "kind-dev" is not in the kubeconfig (it has: microk8s): pick one with --context\n';
    expect(current.exitCode).toBe(2);
    expect(current.stderr).toBe(wrongContext);
    expect(old.exitCode).toBe(2);
    expect(old.stderr).toBe(`qctl load: --kube-context is deprecated; use --context\n${wrongContext}`);
    const help = await runQctl(['load', '--help']);
    expect(help.stdout).toMatch(/--context <name>/);
    expect(help.stdout).not.toContain('--kube-context');
  });

  it('says plainly when a port-forward has no ready API pod', async () => {
    const result = await runQctl(['load', '--env', 'dev', '--port-forward', '--rate', '1', '--duration', '1s'], {
      env: { KUBECONFIG: kubeconfig },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no ready quote-api pod in quotes-dev to port-forward to/);
  });
});

describe('--watch-hpa', () => {
  it('refuses up front, sending nothing, when the HPA cannot be read', async () => {
    const before = (await target.stats()).count;
    const result = await runQctl(['load', `${target.url}/`, '--env', 'dev', '--watch-hpa', '--rate', '10', '--duration', '1s'], {
      env: { KUBECONFIG: kubeconfig },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--watch-hpa: cannot read HorizontalPodAutoscaler quotes-dev\/quote-api .*HTTP 404/);
    expect((await target.stats()).count).toBe(before);
  });

  it('samples the HPA and ready replicas during the run and reports them beside the rate', async () => {
    putApi();
    const child = execa(
      'node',
      [
        repoPath('bin/qctl.mjs'),
        'load',
        `${target.url}/`,
        '--env',
        'dev',
        '--watch-hpa',
        '--hpa-interval',
        '300ms',
        '--rate',
        '40',
        '--duration',
        '3s',
        '--output',
        'json',
      ],
      { env: { CI: 'true', KUBECONFIG: kubeconfig }, reject: false },
    );
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ctrl-C stops')) resolve();
      });
    });
    // Mid-run the autoscaler reacts: 3 wanted, 2 of them ready.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    kube.setStatus('HorizontalPodAutoscaler', NAMESPACE, 'quote-api', {
      currentReplicas: 3,
      desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 95 } } }],
    });
    kube.setStatus('Deployment', NAMESPACE, 'quote-api', { replicas: 3, readyReplicas: 2 });
    const result = await child;
    expect(result.exitCode).toBe(0);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    expect(report.hpa).not.toBeNull();
    const { samples, error } = report.hpa!;
    expect(error).toBeNull();
    expect(samples.length).toBeGreaterThanOrEqual(5);
    expect(samples[0]).toMatchObject({
      currentReplicas: 1,
      desiredReplicas: 1,
      readyReplicas: 1,
      minReplicas: 1,
      maxReplicas: 5,
      cpuUtilization: 20,
    });
    expect(samples.at(-1)).toMatchObject({ currentReplicas: 3, desiredReplicas: 3, readyReplicas: 2, cpuUtilization: 95 });
    // Samples are in time order within the run.
    const times = samples.map((s) => s.t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times.at(-1)!).toBeGreaterThan(2000);
    // The load itself was unaffected by the sampling.
    expect(report.requests.sent).toBe(120);

    // The text report puts replicas beside the rate, second by second.
    const text = await runQctl(
      ['load', `${target.url}/`, '--env', 'dev', '--watch-hpa', '--hpa-interval', '500ms', '--rate', '20', '--duration', '1s'],
      { env: { KUBECONFIG: kubeconfig } },
    );
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/autoscaling \(HPA quotes-dev\/quote-api\)/);
    expect(text.stdout).toMatch(/time\s+target\s+sent\/s\s+p99\s+replicas\s+desired\s+ready\s+cpu/);
    expect(text.stdout).toMatch(/20\/s\s+\d+\s+\S+\s+3\s+3\s+2\s+95%/);
  });

  it('samples from the shared start instant while --workers threads run', async () => {
    putApi();
    const result = await runQctl(
      [
        'load',
        `${target.url}/`,
        '--env',
        'dev',
        '--watch-hpa',
        '--hpa-interval',
        '500ms',
        '--workers',
        '2',
        '--rate',
        '40',
        '--duration',
        '2s',
        '--output',
        'json',
      ],
      // The target is on this machine, which caps threads at half the cores: plan for four so that two run anywhere.
      { env: { KUBECONFIG: kubeconfig, QCTL_LOAD_CORES: '4' } },
    );
    expect(result.exitCode).toBe(0);
    const report = loadReportSchema.parse(JSON.parse(String(result.stdout)));
    const times = report.hpa!.samples.map((s) => s.t);
    // Sampled from the workers' first send (t = 0) to after their last.
    expect(times[0]).toBeGreaterThanOrEqual(0);
    // The first sample belongs to the start of the run, before the last second of it.
    expect(times[0]).toBeLessThan(times.at(-1)! - 1000);
    expect(times.at(-1)).toBeGreaterThan(1500);
    expect(report.hpa!.samples[0]).toMatchObject({ currentReplicas: 1, readyReplicas: 1 });
    expect(report.workers?.count).toBe(2);
    expect(report.requests.sent).toBe(80);
  });
});

describe('kube context', () => {
  it('uses the context qctl up remembered for the environment over the current one; --context still wins', async () => {
    putApi();
    // The current context points at nothing; the one `up` used points at the cluster.
    const dir = mkdtempSync(join(tmpdir(), 'qctl-load-context-'));
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'nowhere', cluster: { server: 'http://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
        { name: 'fake', cluster: { server: kube.url, 'insecure-skip-tls-verify': true } },
      ],
      users: [{ name: 'user', user: { token: 'token' } }],
      contexts: [
        { name: 'elsewhere', context: { cluster: 'nowhere', user: 'user' } },
        { name: 'kind-quotes', context: { cluster: 'fake', user: 'user' } },
      ],
      'current-context': 'elsewhere',
    };
    const configPath = join(dir, 'kubeconfig');
    writeFileSync(configPath, JSON.stringify(config));
    const project = join(dir, 'project');
    mkdirSync(join(project, '.qctl'), { recursive: true });
    const args = ['load', `${target.url}/`, '--env', 'dev', '--watch-hpa', '--rate', '10', '--duration', '1s', '--output', 'json'];
    const env = { KUBECONFIG: configPath };

    const forgotten = await runQctl(args, { env, cwd: project });
    expect(forgotten.exitCode).toBe(2);
    expect(forgotten.stderr).toMatch(/cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:1 \(context elsewhere\)/);

    writeFileSync(join(project, '.qctl', 'deploy.json'), JSON.stringify({ dev: { cluster: 'kind', context: 'kind-quotes' } }));
    const remembered = await runQctl(args, { env, cwd: project });
    expect(remembered.exitCode, String(remembered.stderr)).toBe(0);
    expect(loadReportSchema.parse(JSON.parse(String(remembered.stdout))).hpa?.samples[0]).toMatchObject({
      currentReplicas: 1,
      readyReplicas: 1,
    });

    const explicit = await runQctl([...args, '--context', 'elsewhere'], { env, cwd: project });
    expect(explicit.exitCode).toBe(2);
  });
});
