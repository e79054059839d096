import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/quotes-fixture.js';
import { DeployHarness } from './harness.js';

/**
 * A user's extension written only with cdk8s-plus-28 (tests/fixtures/extensions/worker.ts: a
 * worker Deployment + Service, a CronJob, a NetworkPolicy path to Postgres) through its whole
 * life on the fake cluster: synthesized and validated, applied in its phase after the API,
 * waited for, shown by status, pruned when the extension is removed.
 */
let harness: DeployHarness;
const IMAGE = 'registry.example/quote-api:1.0.0';
const withExtension = `export default { extensions: ${JSON.stringify(repoPath('tests/fixtures/extensions/worker.ts'))} };\n`;

type UpSummary = { ok: boolean; objects: { kind: string; name: string; action: string }[] };

beforeAll(async () => {
  harness = await DeployHarness.create();
  harness.writeProjectFile('qctl.config.ts', withExtension);
});

afterAll(async () => {
  await harness.stop();
});

describe('an extension written with cdk8s-plus-28', () => {
  it('is applied after the API in phase api, waited for, and shown by status', async () => {
    const up = await harness.run(['up', '--image', IMAGE]);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    expect(String(up.stdout)).toMatch(/Deployment quotes-dev\/worker: ready/);

    const applied = harness.api.applies().map((r) => r.path);
    const at = (fragment: string) => applied.findIndex((path) => path.endsWith(fragment));
    expect(at('/deployments/worker')).toBeGreaterThan(at('/deployments/quote-api'));
    expect(at('/deployments/quote-api')).toBeGreaterThan(at('/jobs/quote-api-migrate-1-0-0'));
    expect(at('/services/worker')).toBeGreaterThan(at('/deployments/quote-api'));
    expect(at('/cronjobs/nightly-reseed')).toBeGreaterThan(at('/deployments/quote-api'));
    // The path to Postgres the extension opened with stack.networkPolicies.allow(worker, stack.postgres) goes in with the config phase.
    expect(at('/networkpolicies/worker-to-postgres-egress')).toBeLessThan(at('/statefulsets/postgres'));

    const worker = harness.api.get('Deployment', 'quotes-dev', 'worker')!;
    expect(worker.metadata.labels).toMatchObject({ 'qctl.dev/env': 'dev', 'app.kubernetes.io/managed-by': 'qctl' });
    const pod = (worker.spec as any).template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].env).toContainEqual({
      name: 'PGPASSWORD',
      valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'password' } },
    });

    const status = await harness.run(['status', '--output', 'json']);
    expect(status.exitCode).toBe(0);
    const report = JSON.parse(String(status.stdout)) as {
      workloads: { kind: string; name: string; ready: number; desired: number }[];
      cronJobs: { name: string; schedule: string }[];
    };
    expect(report.workloads).toContainEqual(expect.objectContaining({ kind: 'Deployment', name: 'worker', ready: 1, desired: 1 }));
    expect(report.cronJobs).toContainEqual(expect.objectContaining({ name: 'nightly-reseed', schedule: '0 3 * * *' }));
    const text = await harness.run(['status']);
    expect(String(text.stdout)).toMatch(/nightly-reseed\s+0 3 \* \* \*/);
  }, 180_000);

  it('a second up with the extension unchanged writes nothing', async () => {
    harness.api.requests.length = 0;
    const again = await harness.run(['up', '--image', IMAGE, '--output', 'json']);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(harness.api.mutations()).toEqual([]);
  }, 120_000);

  it('removing the extension prunes its objects', async () => {
    harness.writeProjectFile('qctl.config.ts', 'export default {};\n');
    const up = await harness.run(['up', '--image', IMAGE, '--output', 'json']);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    const summary = JSON.parse(String(up.stdout)) as UpSummary;
    expect(summary.ok).toBe(true);
    for (const [kind, name] of [
      ['Deployment', 'worker'],
      ['Service', 'worker'],
      ['CronJob', 'nightly-reseed'],
      ['NetworkPolicy', 'worker-to-postgres-egress'],
      ['NetworkPolicy', 'worker-to-postgres-ingress'],
    ] as const) {
      expect(harness.api.get(kind, 'quotes-dev', name), `${kind}/${name}`).toBeUndefined();
    }
    expect(harness.api.get('Deployment', 'quotes-dev', 'quote-api')).toBeDefined();
  }, 120_000);
});
