import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeployHarness } from '../deploy/harness.js';
import { describeRealKube, RealKube } from './real-kube.js';

/**
 * A real API server with no schedulable node and without the StatefulSetAutoDeletePVC feature
 * gate (as servers before 1.27 by default): `up` names why the pods stay Pending, and a re-run
 * writes nothing although the server drops the StatefulSets' persistentVolumeClaimRetentionPolicy.
 */
const NS = 'quotes-dev';
let kube: RealKube;
let harness: DeployHarness;
const UP = ['up', '--image', 'registry.example/quote-api:1.0.0', '--monitoring', 'none', '--timeout', '10s'];

describeRealKube('qctl against a real API server without a node, without the StatefulSetAutoDeletePVC gate', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    kube = await RealKube.start({ nodes: 0, featureGates: 'CustomResourceValidationExpressions=true,StatefulSetAutoDeletePVC=false' });
    harness = await DeployHarness.create({ kubeconfig: kube.kubeconfig });
  }, 420_000);
  afterAll(async () => {
    await harness?.stop();
    await kube?.stop();
  });

  it('up with no schedulable node fails at the first workload and says why its pod is Pending', async () => {
    const up = await harness.run(UP);
    expect(up.exitCode).toBe(1);
    const stderr = String(up.stderr);
    expect(stderr).toMatch(/^qctl: StatefulSet quotes-dev\/postgres failed: not ready after 10\.0s \(timeout\)/);
    expect(stderr).toContain('pod postgres-0 is Pending: no nodes available to schedule pods');
    // The scheduler logs the same warning on every retry; it is shown once.
    expect(stderr.match(/event FailedScheduling on postgres-0: no nodes available to schedule pods/g)).toHaveLength(1);
    expect(up.stdout).toMatch(/FAILED Postgres and Redis/);
    // Nothing after the failed step was applied.
    expect(await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/quote-api`)).toBeUndefined();
  });

  it('the server dropped persistentVolumeClaimRetentionPolicy, and a re-run writes nothing for it', async () => {
    const postgres = (await kube.get(`/apis/apps/v1/namespaces/${NS}/statefulsets/postgres`))!;
    expect(postgres.spec).not.toHaveProperty('persistentVolumeClaimRetentionPolicy');
    const before = await kube.versions('dev');
    expect(before.get(`StatefulSet ${NS}/postgres`)).toBeDefined();
    const up = await harness.run([...UP, '--output', 'json']);
    expect(up.exitCode).toBe(1);
    const report = JSON.parse(String(up.stdout)) as { objects: { kind: string; name: string; action: string }[] };
    expect(report.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skipped')).toEqual([]);
    const after = await kube.versions('dev');
    expect([...after].filter(([key, version]) => before.get(key) !== version).map(([key]) => key)).toEqual([]);
  });
});
