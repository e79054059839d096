import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeployHarness } from '../deploy/harness.js';
import { startFakePrometheus, type FakePrometheus } from '../helpers/fake-prometheus.js';
import { describeRealKube, RealKube } from './real-kube.js';

/**
 * The canary flow and `load --in-cluster` against a real API server (Gateway API CRDs from
 * infra/crds, so the split is the HTTPRoute's backend weights) and the fake Prometheus (the
 * process boundary for the analysis). The stand-in kubelet runs no container: pods are Ready at
 * once and Job pods succeed without logs, so what is shown is what the API server does with
 * qctl's objects, not traffic.
 */
const NS = 'quotes-dev';
const REPO = 'registry.example/quote-api';
const GOOD = { requests: 1200, errors: 1, p99Seconds: 0.08 };
let kube: RealKube;
let harness: DeployHarness;
let prometheus: FakePrometheus;

const image = async (name: string) =>
  (
    (await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/${name}`))?.spec as {
      template: { spec: { containers: { image: string }[] } };
    }
  )?.template.spec.containers[0]!.image;

const routeWeights = async () => {
  const route = (await kube.get(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/quote-api`))!;
  const refs = (route.spec as { rules: { backendRefs: { name: string; weight?: number }[] }[] }).rules[0]!.backendRefs;
  return Object.fromEntries(refs.map((b) => [b.name, b.weight ?? 1]));
};

const canaryGone = async () =>
  (await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/quote-api-canary`)) === undefined &&
  (await kube.get(`/api/v1/namespaces/${NS}/services/quote-api-canary`)) === undefined;

describeRealKube('qctl up --canary and load --in-cluster against a real API server', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    [kube, prometheus] = await Promise.all([RealKube.start(), startFakePrometheus()]);
    harness = await DeployHarness.create({ kubeconfig: kube.kubeconfig });
    harness.writeProjectFile(
      'qctl.config.ts',
      "export default { monitoring: 'none', environments: { dev: { ingress: { mode: 'gateway', gateway: { name: 'shared', namespace: 'gateways' } } } } };\n",
    );
    const up = await harness.run(['up', '--image', `${REPO}:1.0.0`]);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    prometheus.set(NS, '1.0.0', GOOD);
  }, 420_000);
  afterAll(async () => {
    await Promise.all([harness?.stop(), prometheus?.stop()]);
    await kube?.stop();
  });

  it('--no-analysis leaves the canary at its weight; abort removes it, promote replaces the stable image', async () => {
    const manual = await harness.run(['up', '--image', `${REPO}:2.0.0`, '--canary', '10', '--no-analysis']);
    expect(manual.exitCode, String(manual.stderr)).toBe(0);
    expect(await image('quote-api-canary')).toBe(`${REPO}:2.0.0`);
    expect(await routeWeights()).toEqual({ 'quote-api-stable': 90, 'quote-api-canary': 10 });
    const canary = (await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/quote-api-canary`))!;
    expect(canary.status).toMatchObject({ readyReplicas: 1 });

    const aborted = await harness.run(['abort']);
    expect(aborted.exitCode, String(aborted.stderr)).toBe(0);
    expect(await canaryGone()).toBe(true);
    expect(await image('quote-api')).toBe(`${REPO}:1.0.0`);
    expect(await routeWeights()).toEqual({ 'quote-api': 1 });

    expect((await harness.run(['up', '--image', `${REPO}:2.0.0`, '--canary', '10', '--no-analysis'])).exitCode).toBe(0);
    const promoted = await harness.run(['promote', '--output', 'json']);
    expect(promoted.exitCode, String(promoted.stderr)).toBe(0);
    expect(JSON.parse(String(promoted.stdout)).canary).toMatchObject({ outcome: 'promoted', image: `${REPO}:2.0.0` });
    expect(await image('quote-api')).toBe(`${REPO}:2.0.0`);
    expect(await canaryGone()).toBe(true);
  });

  it('an interrupted up --canary keeps the canary at its step, and the same command resumes and promotes it', async () => {
    prometheus.set(NS, '2.0.0', GOOD);
    // The canary reports nothing yet: the analysis waits (grace 10m) at the first step until interrupted.
    const args = [
      'up',
      '--image',
      `${REPO}:3.0.0`,
      '--canary',
      '20',
      '--prometheus-url',
      prometheus.url,
      '--analysis-interval',
      '50ms',
      '--analysis-checks',
      '1',
      '--analysis-grace',
      '10m',
    ];
    const first = harness.run(args);
    let weights: Record<string, number> = {};
    for (let i = 0; i < 600 && weights['quote-api-canary'] !== 20; i++) {
      await new Promise((r) => setTimeout(r, 250));
      weights = await routeWeights();
    }
    expect(weights).toEqual({ 'quote-api-stable': 80, 'quote-api-canary': 20 });
    first.kill('SIGINT');
    const interrupted = await first;
    expect(interrupted.exitCode).toBe(130);
    expect(String(interrupted.stderr)).toMatch(/interrupted: the canary registry\.example\/quote-api:3\.0\.0 stays at 20%/);
    expect(await image('quote-api-canary')).toBe(`${REPO}:3.0.0`);

    prometheus.set(NS, '3.0.0', GOOD);
    const resumed = await harness.run([...args, '--output', 'json']);
    expect(resumed.exitCode, String(resumed.stderr)).toBe(0);
    const report = JSON.parse(String(resumed.stdout)) as { canary: { outcome: string; decisions: { step: number; weight: number }[] } };
    expect(report.canary.outcome).toBe('promoted');
    expect(report.canary.decisions[0]).toMatchObject({ step: 1, weight: 20 });
    expect(await image('quote-api')).toBe(`${REPO}:3.0.0`);
    expect(await canaryGone()).toBe(true);
    expect(await routeWeights()).toEqual({ 'quote-api': 1 });
  });

  it('load --in-cluster: the real server accepts the Indexed Job and its policies, and qctl deletes them afterwards', async () => {
    const result = await harness.run([
      'load',
      '--env',
      'dev',
      '--in-cluster',
      '--workers',
      '2',
      '--rate',
      '10',
      '--duration',
      '1s',
      '--output',
      'json',
    ]);
    // The stand-in kubelet marks the worker pods Succeeded without running them, so they log no result:
    // qctl says so per worker, fails the run (exit 1) and still deletes its Job and policies.
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(String(result.stdout)) as {
      verdict: string;
      workers: { count: number; inCluster: boolean; job: string; stopped: string; list: { state: string }[] };
    };
    expect(report.verdict).toBe('fail');
    expect(report.workers).toMatchObject({ count: 2, inCluster: true });
    expect(report.workers.stopped).toMatch(/^worker \d \(pod quote-api-load-[a-z0-9]+-\d-[a-z0-9]+\) succeeded without a result line$/);
    expect(report.workers.list.map((w) => w.state)).toEqual(['missing', 'missing']);
    expect(String(result.stderr)).toContain(`Job quotes-dev/${report.workers.job}: 2 workers`);
    expect((await kube.list(`/apis/batch/v1/namespaces/${NS}/jobs`)).filter((j) => j.metadata.name.startsWith('quote-api-load'))).toEqual(
      [],
    );
    expect(
      (await kube.list(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`)).filter((p) =>
        p.metadata.name.startsWith('quote-api-load'),
      ),
    ).toEqual([]);
    // Its pods go with the Job (garbage collection through ownerReferences, done by the real controller-manager).
    for (
      let i = 0;
      i < 100 && (await kube.list(`/api/v1/namespaces/${NS}/pods?labelSelector=job-name%3D${report.workers.job}`)).length > 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await kube.list(`/api/v1/namespaces/${NS}/pods?labelSelector=job-name%3D${report.workers.job}`)).toEqual([]);
  });
});
