import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployHarness, errorLines } from './harness.js';

/** One environment through its life: up, status, diff, down (refused, kept data, pruned data). */
let harness: DeployHarness;
const IMAGE = 'registry.example/quote-api:1.0.0';

beforeAll(async () => {
  harness = await DeployHarness.create();
  const up = await harness.run(['up', '--image', IMAGE]);
  expect(up.exitCode, String(up.stderr)).toBe(0);
});

afterAll(async () => {
  await harness.stop();
});

type StatusReport = {
  deployed: boolean;
  workloads: { kind: string; name: string; ready: number; desired: number; upToDate: boolean; images: string[] }[];
  hpas: { name: string; current: number; desired: number; min: number; max: number }[];
  jobs: { name: string; status: string }[];
  pvcs: { name: string; phase: string }[];
  warnings: { object: string; reason: string; message: string }[];
};

describe('qctl status / diff / down after up', () => {
  it('status reports workloads, HPA, Jobs, PVCs and Warning events', async () => {
    const { api } = harness;
    api.put({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'quote-api', namespace: 'quotes-dev', labels: { 'qctl.dev/env': 'dev' } },
      spec: { minReplicas: 2, maxReplicas: 6 },
      status: { currentReplicas: 3, desiredReplicas: 4 },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-postgres-0', namespace: 'quotes-dev' },
      status: { phase: 'Bound', capacity: { storage: '1Gi' } },
    });
    api.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ev1', namespace: 'quotes-dev' },
      involvedObject: { kind: 'Pod', name: 'quote-api-1' },
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
    });
    const result = await harness.run(['status', '--output', 'json']);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(String(result.stdout)) as StatusReport;
    expect(report.deployed).toBe(true);
    const api1 = report.workloads.find((w) => w.name === 'quote-api')!;
    expect(api1).toMatchObject({ kind: 'Deployment', upToDate: true, images: [IMAGE] });
    expect(api1.ready).toBe(api1.desired);
    expect(report.workloads.map((w) => w.name)).toEqual(expect.arrayContaining(['postgres', 'redis']));
    expect(report.hpas).toEqual([{ namespace: 'quotes-dev', name: 'quote-api', current: 3, desired: 4, min: 2, max: 6 }]);
    expect(report.jobs.find((j) => /migrate/.test(j.name))?.status).toBe('complete');
    expect(report.pvcs).toContainEqual({ namespace: 'quotes-dev', name: 'data-postgres-0', phase: 'Bound', capacity: '1Gi' });
    expect(report.warnings).toEqual([expect.objectContaining({ object: 'Pod/quote-api-1', reason: 'BackOff' })]);

    const text = await harness.run(['status']);
    expect(text.stdout).toMatch(/deployment\/quote-api\s+1\/1\s+yes/);
    expect(text.stdout).toMatch(/quote-api\s+3\s+4\s+2\s+6/);
  });

  it('diff --exit-code is 0 when the cluster matches and 1 with a readable diff when it would change', async () => {
    harness.api.requests.length = 0;
    const same = await harness.run(['diff', '--exit-code']);
    expect(same.exitCode, String(same.stdout)).toBe(0);
    expect(same.stdout).toContain('no changes');
    const changed = await harness.run(['diff', '--exit-code', '--image', 'registry.example/quote-api:2.0.0']);
    expect(changed.exitCode).toBe(1);
    expect(changed.stdout).toContain('~ Deployment quotes-dev/quote-api (update)');
    expect(changed.stdout).toContain('-           image: registry.example/quote-api:1.0.0');
    expect(changed.stdout).toContain('+           image: registry.example/quote-api:2.0.0');
    expect(changed.stdout).toMatch(/\+ Job quotes-dev\/quote-api-migrate-\S+ \(create\)/);
    expect(changed.stdout).toMatch(/- Job quotes-dev\/quote-api-migrate-\S+ \(prune\)/);
    // Server-side dry runs only.
    expect(harness.api.mutations()).toEqual([]);
    expect(harness.api.applies().every((r) => r.query.dryRun === 'All')).toBe(true);
  });

  it('down refuses without --yes in CI before contacting the cluster, and deletes nothing', async () => {
    const before = harness.api.list().length;
    const result = await harness.run(['down']);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result)).toEqual([
      expect.stringMatching(/^qctl: refusing to delete env dev without --yes in a non-interactive session .*re-run with --yes/),
    ]);
    expect(harness.api.list().length).toBe(before);
    // The same answer with no cluster at all: the refusal never needed one.
    const offline = await harness.run(['down'], { env: { KUBECONFIG: join(tmpdir(), 'qctl-no-such-kubeconfig') } });
    expect(offline.exitCode).toBe(2);
    expect(errorLines(offline)).toEqual([expect.stringMatching(/^qctl: refusing to delete env dev without --yes/)]);
  });

  it('down --yes deletes in reverse order and keeps PVCs, namespaces and generated credentials', async () => {
    harness.api.requests.length = 0;
    const result = await harness.run(['down', '--yes', '--output', 'json']);
    expect(result.exitCode).toBe(0);
    const deletes = harness.api.requests.filter((r) => r.method === 'DELETE').map((r) => r.path);
    const at = (part: string) => deletes.findIndex((p) => p.includes(part));
    expect(at('/deployments/grafana')).toBeLessThan(at('/deployments/quote-api'));
    expect(at('/deployments/quote-api')).toBeLessThan(at('/statefulsets/postgres'));
    expect(at('/statefulsets/postgres')).toBeLessThan(at('/configmaps/quote-api-config'));
    expect(deletes.some((p) => p.includes('/persistentvolumeclaims/'))).toBe(false);
    expect(deletes.some((p) => p.includes('/namespaces/quotes-dev') && p.split('/').length === 5)).toBe(false);
    expect(harness.api.get('Deployment', 'quotes-dev', 'quote-api')).toBeUndefined();
    expect(harness.api.get('PersistentVolumeClaim', 'monitoring-dev', 'prometheus-data')).toBeDefined();
    expect(harness.api.get('Secret', 'quotes-dev', 'postgres-credentials')).toBeDefined();
    const summary = JSON.parse(String(result.stdout)) as { objects: { kind: string; name: string; action: string }[] };
    expect(summary.objects).toContainEqual(
      expect.objectContaining({ kind: 'PersistentVolumeClaim', name: 'prometheus-data', action: 'kept' }),
    );
  });

  it('down --yes --prune-data deletes the data, the namespaces and the generated credentials', async () => {
    const result = await harness.run(['down', '--yes', '--prune-data']);
    expect(result.exitCode).toBe(0);
    expect(harness.api.get('PersistentVolumeClaim', 'monitoring-dev', 'prometheus-data')).toBeUndefined();
    expect(harness.api.get('Namespace', undefined, 'quotes-dev')).toBeUndefined();
    expect(harness.api.get('Secret', 'quotes-dev', 'postgres-credentials')).toBeUndefined();
    expect(harness.api.get('Secret', 'monitoring-dev', 'grafana-admin')).toBeUndefined();
  });
});
