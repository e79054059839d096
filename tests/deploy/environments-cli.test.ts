import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../helpers/fake-kube-api.js';
import { DeployHarness } from './harness.js';

/**
 * dev and prod side by side on one cluster: each environment has its own namespaces
 * (quotes-<env>, monitoring-<env>) and cluster-scoped names, so neither overwrites the other,
 * a re-run of one after the other writes nothing, and `down` of one leaves the other whole.
 */
let harness: DeployHarness;
const IMAGE = 'registry.example/quote-api:1.0.0';

const stored = (env: string) =>
  harness.api.list().filter((o) => o.metadata.labels?.['qctl.dev/env'] === env && o.kind !== 'Event' && o.kind !== 'Pod');
const versions = (objects: KubeObject[]) =>
  objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}@${String(o.metadata.resourceVersion)}`).sort();

beforeAll(async () => {
  harness = await DeployHarness.create({ api: { kubelet: true } });
});

afterAll(async () => {
  await harness.stop();
});

describe('two environments on one cluster', () => {
  it("up dev then up prod: prod touches none of dev's objects", async () => {
    const dev = await harness.run(['up', '--env', 'dev', '--image', IMAGE]);
    expect(dev.exitCode, String(dev.stderr)).toBe(0);
    const devBefore = versions(stored('dev'));
    harness.api.requests.length = 0;
    const prod = await harness.run(['up', '--env', 'prod', '--image', IMAGE]);
    expect(prod.exitCode, String(prod.stderr)).toBe(0);
    // Nothing of dev was written by prod's up: same objects, same resourceVersions.
    expect(versions(stored('dev'))).toEqual(devBefore);
    const written = harness.api.mutations().map((r) => r.path);
    expect(written.filter((p) => /quotes-dev|monitoring-dev|-dev(\?|$)/.test(p))).toEqual([]);
    for (const env of ['dev', 'prod']) {
      expect(harness.api.get('Namespace', undefined, `monitoring-${env}`)).toBeDefined();
      expect(harness.api.get('Deployment', `monitoring-${env}`, 'prometheus')).toBeDefined();
      expect(harness.api.get('ClusterRole', undefined, `qctl-prometheus-${env}`)).toBeDefined();
    }
  });

  it('a re-run of dev after prod is a no-op, and status shows each environment its own workloads', async () => {
    harness.api.requests.length = 0;
    const again = await harness.run(['up', '--env', 'dev', '--image', IMAGE, '--output', 'json']);
    expect(again.exitCode).toBe(0);
    expect(harness.api.mutations()).toEqual([]);
    const status = JSON.parse(String((await harness.run(['status', '--env', 'prod', '--output', 'json'])).stdout)) as {
      workloads: { kind: string; namespace: string; name: string }[];
    };
    expect(new Set(status.workloads.map((w) => w.namespace))).toEqual(new Set(['quotes-prod', 'monitoring-prod']));
    expect(status.workloads.every((w) => w.kind === 'Deployment' || w.kind === 'StatefulSet')).toBe(true);
  });

  it('down --prune-data of dev leaves every prod object in place', async () => {
    const prodBefore = versions(stored('prod'));
    const down = await harness.run(['down', '--env', 'dev', '--yes', '--prune-data']);
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect(stored('dev').filter((o) => o.kind !== 'PersistentVolumeClaim')).toEqual([]);
    expect(versions(stored('prod'))).toEqual(prodBefore);
  });
});
