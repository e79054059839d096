import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployHarness, errorLines } from '../deploy/harness.js';
import { describeRealKube, RealKube, type KubeObject } from './real-kube.js';

/**
 * One environment through its life against a real kube-apiserver (kube-assets, microk8s
 * look-alike): up to ready, a no-op up, diff, status, a new image, prune, a failed rollout rolled
 * back, down keeping the data. The steps follow each other on one instance, as releases do.
 */
const REPO = 'registry.example/quote-api';
const NS = 'quotes-dev';
let kube: RealKube;
let harness: DeployHarness;

type UpJson = { ok: boolean; objects: { kind: string; namespace?: string; name: string; action: string }[] };

const image = async (name: string) =>
  (
    (await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/${name}`))?.spec as {
      template: { spec: { containers: { image: string }[] } };
    }
  )?.template.spec.containers[0]!.image;

describeRealKube('qctl against a real API server', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    kube = await RealKube.start();
    harness = await DeployHarness.create({ kubeconfig: kube.kubeconfig });
  }, 420_000);
  afterAll(async () => {
    await harness?.stop();
    await kube?.stop();
  });

  describe('one environment through its life', lifecycle);
  describe('exposure modes and CloudNativePG (env staging and prod)', exposure);
});

function lifecycle(): void {
  it('the first up creates everything and waits until it is ready', async () => {
    const up = await harness.run(['up', '--image', `${REPO}:1.0.0`, '--output', 'json']);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    const report = JSON.parse(String(up.stdout)) as UpJson;
    expect(report.ok).toBe(true);
    expect(report.objects.filter((o) => o.action !== 'created' && o.action !== 'skipped')).toEqual([]);
    const deployment = (await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/quote-api`))!;
    expect(deployment.status).toMatchObject({ readyReplicas: 1, updatedReplicas: 1 });
    const postgres = (await kube.get(`/apis/apps/v1/namespaces/${NS}/statefulsets/postgres`))!;
    expect(postgres.status).toMatchObject({ readyReplicas: 1 });
    // The claim of the StatefulSet bound to one of the static volumes of the microk8s look-alike.
    const claims = await kube.list(`/api/v1/namespaces/${NS}/persistentvolumeclaims`);
    expect(claims.map((c) => [c.metadata.name, (c.status as { phase: string }).phase])).toContainEqual(['data-postgres-0', 'Bound']);
  });

  it('a second up writes nothing: no resourceVersion moves, nothing reported changed', async () => {
    const before = await kube.versions('dev');
    expect(before.size).toBeGreaterThan(40);
    const up = await harness.run(['up', '--image', `${REPO}:1.0.0`, '--output', 'json']);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    const report = JSON.parse(String(up.stdout)) as UpJson;
    expect(report.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skipped')).toEqual([]);
    const after = await kube.versions('dev');
    const moved = [...after].filter(([key, version]) => before.get(key) !== version).map(([key]) => key);
    expect(moved).toEqual([]);
  });

  it('diff --exit-code is clean after up, and 1 for a new image', async () => {
    const same = await harness.run(['diff', '--exit-code']);
    expect(same.exitCode, String(same.stdout) + String(same.stderr)).toBe(0);
    expect(same.stdout).toContain('no changes');
    const changed = await harness.run(['diff', '--exit-code', '--image', `${REPO}:2.0.0`]);
    expect(changed.exitCode).toBe(1);
    expect(changed.stdout).toContain('~ Deployment quotes-dev/quote-api (update)');
    expect(await image('quote-api')).toBe(`${REPO}:1.0.0`);
  });

  it('status reports the workloads ready, the migration complete and the claims bound', async () => {
    const status = await harness.run(['status', '--output', 'json']);
    expect(status.exitCode, String(status.stderr)).toBe(0);
    const report = JSON.parse(String(status.stdout)) as {
      deployed: boolean;
      workloads: { name: string; ready: number; desired: number; upToDate: boolean; images: string[] }[];
      jobs: { name: string; status: string }[];
      pvcs: { name: string; phase: string }[];
    };
    expect(report.deployed).toBe(true);
    expect(report.workloads.find((w) => w.name === 'quote-api')).toMatchObject({
      ready: 1,
      desired: 1,
      upToDate: true,
      images: [`${REPO}:1.0.0`],
    });
    expect(report.jobs.find((j) => /migrate/.test(j.name))?.status).toBe('complete');
    expect(report.pvcs.filter((p) => p.phase !== 'Bound')).toEqual([]);
    expect(report.pvcs.map((p) => p.name)).toEqual(expect.arrayContaining(['data-postgres-0', 'prometheus-data']));
  });

  it('a new image rolls out; dropping monitoring prunes its objects and keeps its claim', async () => {
    const up = await harness.run(['up', '--image', `${REPO}:2.0.0`, '--monitoring', 'none']);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    expect(up.stdout).toMatch(/Deployment quotes-dev\/quote-api: ready/);
    expect(await image('quote-api')).toBe(`${REPO}:2.0.0`);
    const deployment = (await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/quote-api`))!;
    expect(deployment.status).toMatchObject({ updatedReplicas: 1, readyReplicas: 1, replicas: 1 });
    // The old migration Job and the monitoring stack are pruned; the Prometheus claim stays.
    const jobs = (await kube.list(`/apis/batch/v1/namespaces/${NS}/jobs`)).map((j) => j.metadata.name);
    expect(jobs.filter((j) => j.includes('migrate'))).toEqual(['quote-api-migrate-2-0-0']);
    expect(await kube.get('/apis/apps/v1/namespaces/monitoring-dev/deployments/grafana')).toBeUndefined();
    expect(await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/redis-exporter`)).toBeUndefined();
    expect(await kube.get('/api/v1/namespaces/monitoring-dev/persistentvolumeclaims/prometheus-data')).toBeDefined();
  });

  it('a rollout that cannot schedule fails with the diagnosis, and --rollback-on-failure restores the image', async () => {
    // 64 CPUs do not fit the 8-CPU node: the new pod stays Pending (the stand-in kubelet makes any scheduled pod Ready).
    const up = await harness.run([
      'up',
      '--image',
      `${REPO}:3.0.0`,
      '--monitoring',
      'none',
      '--set',
      'api.resources.requests.cpu=64',
      '--set',
      'api.resources.limits.cpu=64',
      '--timeout',
      '15s',
      '--rollback-on-failure',
    ]);
    expect(up.exitCode, String(up.stdout)).toBe(1);
    expect(String(up.stderr)).toMatch(/Deployment quotes-dev\/quote-api/);
    expect(String(up.stderr)).toMatch(/Insufficient cpu|Unschedulable|FailedScheduling/);
    expect(up.stdout).toContain(`rolled back Deployment quotes-dev/quote-api to ${REPO}:2.0.0`);
    expect(await image('quote-api')).toBe(`${REPO}:2.0.0`);
  });

  it('down refuses without --yes, then deletes the stack and keeps the claims', async () => {
    const refused = await harness.run(['down']);
    expect(refused.exitCode).toBe(2);
    expect(errorLines(refused)).toHaveLength(1);
    expect(await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/quote-api`)).toBeDefined();

    const down = await harness.run(['down', '--yes']);
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect(await kube.get(`/apis/apps/v1/namespaces/${NS}/deployments/quote-api`)).toBeUndefined();
    expect(await kube.get(`/apis/apps/v1/namespaces/${NS}/statefulsets/postgres`)).toBeUndefined();
    const claims = (await kube.list(`/api/v1/persistentvolumeclaims`)).map((c: KubeObject) => `${c.metadata.namespace}/${c.metadata.name}`);
    expect(claims).toEqual(expect.arrayContaining([`${NS}/data-postgres-0`, 'monitoring-dev/prometheus-data']));
    expect(await kube.get(`/api/v1/namespaces/${NS}`)).toBeDefined();
  });
}

const STAGING = 'quotes-staging';
const upStaging = (...set: string[]) =>
  harness.run(['up', '--env', 'staging', '--image', `${REPO}:1.0.0`, '--monitoring', 'none', ...set.flatMap((s) => ['--set', s])]);

function exposure(): void {
  it('ingress, then nodeport, then gateway with a Gateway, then Istio: each applied by the real server, the previous mode pruned', async () => {
    const ingress = await upStaging();
    expect(ingress.exitCode, String(ingress.stderr)).toBe(0);
    expect(await kube.get(`/apis/networking.k8s.io/v1/namespaces/${STAGING}/ingresses/quote-api`)).toBeDefined();

    const nodeport = await upStaging('ingress.mode=nodeport');
    expect(nodeport.exitCode, String(nodeport.stderr)).toBe(0);
    const service = (await kube.get(`/api/v1/namespaces/${STAGING}/services/quote-api`))!;
    expect(service.spec).toMatchObject({ type: 'NodePort', ports: [expect.objectContaining({ nodePort: 30081 })] });
    expect(await kube.get(`/apis/networking.k8s.io/v1/namespaces/${STAGING}/ingresses/quote-api`)).toBeUndefined();

    const gatewaySet = [
      'ingress.mode=gateway',
      'ingress.gateway.create=true',
      'ingress.gateway.className=istio',
      'ingress.gateway.name=edge',
      `ingress.gateway.namespace=${STAGING}`,
    ];
    const gateway = await upStaging(...gatewaySet);
    expect(gateway.exitCode, String(gateway.stderr)).toBe(0);
    const route = (await kube.get(`/apis/gateway.networking.k8s.io/v1/namespaces/${STAGING}/httproutes/quote-api`))!;
    expect((route.spec as { hostnames: string[] }).hostnames).toEqual(['staging.quotes.127.0.0.1.nip.io']);
    expect(await kube.get(`/apis/gateway.networking.k8s.io/v1/namespaces/${STAGING}/gateways/edge`)).toBeDefined();
    // The Service is a ClusterIP again (a NodePort Service switched back keeps no nodePort).
    expect((await kube.get(`/api/v1/namespaces/${STAGING}/services/quote-api`))!.spec).toMatchObject({ type: 'ClusterIP' });

    const istio = await upStaging(...gatewaySet, 'traffic.mesh=istio');
    expect(istio.exitCode, String(istio.stderr)).toBe(0);
    expect(await kube.get(`/apis/networking.istio.io/v1/namespaces/${STAGING}/virtualservices/quote-api`)).toBeDefined();
    expect(await kube.get(`/apis/networking.istio.io/v1/namespaces/${STAGING}/destinationrules/quote-api`)).toBeDefined();

    // And a re-run of the last one writes nothing.
    const before = await kube.versions('staging');
    const again = await upStaging(...gatewaySet, 'traffic.mesh=istio');
    expect(again.exitCode, String(again.stderr)).toBe(0);
    const after = await kube.versions('staging');
    expect([...after].filter(([key, version]) => before.get(key) !== version).map(([key]) => key)).toEqual([]);
  });

  it('postgres.mode=cnpg with the pgbouncer Pooler: the real server accepts the Cluster and Pooler, up waits for the Cluster', async () => {
    const running = harness.run([
      'up',
      '--env',
      'prod',
      '--image',
      `${REPO}:1.0.0`,
      '--monitoring',
      'none',
      '--set',
      'postgres.mode=cnpg',
      '--set',
      'postgres.pooler=pgbouncer',
    ]);
    // The stand-in CloudNativePG operator: once the Cluster exists, report it ready through its status subresource.
    const path = '/apis/postgresql.cnpg.io/v1/namespaces/quotes-prod/clusters/postgres';
    let operated = false;
    const done = running.then(() => undefined);
    while (!operated && (await Promise.race([done.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))])) === false) {
      const cluster = await kube.get(path);
      if (!cluster) continue;
      const instances = (cluster.spec as { instances: number }).instances;
      const patched = await kube.call('PATCH', `${path}/status`, {
        status: {
          instances,
          readyInstances: instances,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ClusterIsReady',
              message: 'Cluster is Ready',
              lastTransitionTime: new Date().toISOString(),
            },
          ],
        },
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      operated = true;
    }
    const up = await running;
    expect(up.exitCode, String(up.stdout) + String(up.stderr)).toBe(0);
    expect(up.stdout).toMatch(/Cluster quotes-prod\/postgres: ready/);
    const pooler = (await kube.get('/apis/postgresql.cnpg.io/v1/namespaces/quotes-prod/poolers/postgres-pooler-rw'))!;
    expect(pooler.spec).toMatchObject({ cluster: { name: 'postgres' }, type: 'rw' });
    expect(await kube.get('/apis/apps/v1/namespaces/quotes-prod/statefulsets/postgres')).toBeUndefined();
  });
}
