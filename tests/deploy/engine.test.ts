import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployFlavour } from '../../bin/deploy/clusters.js';
import { deploy, type EngineOptions } from '../../bin/deploy/engine.js';
import { Kube, resolveKubeTarget } from '../../bin/kube/client.js';
import type { KubeObject } from '../../bin/kube/objects.js';
import { Progress } from '../../bin/deploy/progress.js';
import { CNPG_KINDS, FakeKubeApi, podFor, readyStatus, startFakeKubeApi, warningEvent } from '../helpers/fake-kube-api.js';
import { synthesize } from '../../infra/main.js';
import { compact } from '../../bin/deploy/live-state.js';
import { SAMPLE_NAMESPACE, sampleObjects } from './sample-objects.js';

let api: FakeKubeApi;
let kube: Kube;

const IMAGE_FOR_CNPG = '127.0.0.1:32000/quote-api:abc';

const options = (overrides: Partial<EngineOptions> = {}): EngineOptions => ({
  env: 'test',
  namespace: SAMPLE_NAMESPACE,
  timeoutMs: 2_000,
  pollMs: 20,
  imageHint: 'push the image to 127.0.0.1:32000',
  dryRun: false,
  pruneData: false,
  rollbackOnFailure: false,
  ...overrides,
});

const run = (objects: KubeObject[], overrides: Partial<EngineOptions> = {}) =>
  deploy(kube, objects, options(overrides), new Progress('json', true));

const appliedNames = () =>
  api
    .applies()
    .filter((r) => r.query.dryRun === undefined)
    .map((r) => `${(r.body as KubeObject).kind}/${(r.body as KubeObject).metadata.name}`);

const secretValue = (namespace: string, name: string, key: string) =>
  Buffer.from((api.get('Secret', namespace, name)!.data as Record<string, string>)[key]!, 'base64').toString();

beforeEach(async () => {
  api = await startFakeKubeApi();
  const target = await resolveKubeTarget({ flavour: deployFlavour('microk8s'), kubeconfigPath: api.writeKubeconfig(['microk8s']) });
  kube = new Kube(target);
});

afterEach(async () => {
  await api.stop();
});

describe('deploy engine against a fake Kubernetes API', () => {
  it('applies in phase order with server-side apply and field manager qctl, waiting between phases', async () => {
    const result = await run(sampleObjects());
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const order = appliedNames();
    const at = (name: string) => order.indexOf(name);
    expect(at('Namespace/quotes-test')).toBe(0);
    expect(at('ServiceAccount/quote-api')).toBeLessThan(at('ConfigMap/quote-api-config'));
    expect(at('Secret/postgres-credentials')).toBeLessThan(at('StatefulSet/postgres'));
    expect(at('StatefulSet/redis')).toBeLessThan(at('Job/quote-api-migrate'));
    expect(at('Job/quote-api-migrate')).toBeLessThan(at('Deployment/quote-api'));
    expect(at('Deployment/quote-api')).toBeLessThan(at('Deployment/grafana'));
    expect(at('Deployment/grafana')).toBeLessThan(at('Job/quote-api-seed'));
    expect(order.at(-1)).toBe('ConfigMap/qctl-inventory');
    for (const request of api.applies()) {
      expect(request.query.fieldManager).toBe('qctl');
      expect(request.query.force).toBe('true');
    }
    // The migration Job was read (waited on) before the API Deployment was applied.
    const requests = api.requests.map((r) => `${r.method} ${r.path}`);
    const migrateRead = requests.indexOf(
      'GET /apis/batch/v1/namespaces/quotes-test/jobs/quote-api-migrate',
      requests.indexOf('PATCH /apis/batch/v1/namespaces/quotes-test/jobs/quote-api-migrate'),
    );
    expect(migrateRead).toBeGreaterThan(-1);
    expect(migrateRead).toBeLessThan(requests.indexOf('PATCH /apis/apps/v1/namespaces/quotes-test/deployments/quote-api'));
    expect(result.firstInstall).toBe(true);
    expect(result.objects.every((o) => o.action === 'created')).toBe(true);
  });

  it('re-running with no change reports every object unchanged, keeps generated passwords and skips the seed', async () => {
    await run(sampleObjects());
    const password = secretValue(SAMPLE_NAMESPACE, 'postgres-credentials', 'password');
    const grafana = secretValue('monitoring', 'grafana-admin', 'admin-password');
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const versions = api.list().map((o) => `${o.kind}/${o.metadata.name}@${String(o.metadata.resourceVersion)}`);
    api.requests.length = 0;

    const second = await run(sampleObjects());
    expect(second.ok).toBe(true);
    expect(second.firstInstall).toBe(false);
    const actions = new Map(second.objects.map((o) => [`${o.kind}/${o.name}`, o.action]));
    expect(actions.get('Job/quote-api-seed')).toBe('skipped');
    actions.delete('Job/quote-api-seed');
    expect([...new Set(actions.values())]).toEqual(['unchanged']);
    expect(second.generated.map((g) => g.action)).toEqual(['reused', 'reused', 'reused']);
    // Nothing is written, not even a no-op apply: unchanged objects are not sent at all.
    expect(api.mutations()).toEqual([]);
    expect(api.list().map((o) => `${o.kind}/${o.metadata.name}@${String(o.metadata.resourceVersion)}`)).toEqual(versions);
    expect(secretValue(SAMPLE_NAMESPACE, 'postgres-credentials', 'password')).toBe(password);
    expect(secretValue('monitoring', 'grafana-admin', 'admin-password')).toBe(grafana);
    expect(appliedNames()).not.toContain('Secret/postgres-credentials');
  });

  it('prunes an object removed from the code but keeps PersistentVolumeClaims unless --prune-data', async () => {
    await run(sampleObjects());
    const without = sampleObjects().filter((o) => o.metadata.name !== 'quote-api-config' && o.kind !== 'PersistentVolumeClaim');
    const second = await run(without);
    expect(second.ok).toBe(true);
    expect(api.get('ConfigMap', SAMPLE_NAMESPACE, 'quote-api-config')).toBeUndefined();
    expect(api.get('PersistentVolumeClaim', 'monitoring', 'prometheus-data')).toBeDefined();
    expect(second.pruned).toEqual([
      {
        kind: 'PersistentVolumeClaim',
        namespace: 'monitoring',
        name: 'prometheus-data',
        action: 'kept',
        reason: expect.stringContaining('--prune-data'),
      },
      { kind: 'ConfigMap', namespace: SAMPLE_NAMESPACE, name: 'quote-api-config', action: 'deleted' },
    ]);
    const third = await run(without, { pruneData: true });
    expect(third.pruned).toEqual([{ kind: 'PersistentVolumeClaim', namespace: 'monitoring', name: 'prometheus-data', action: 'deleted' }]);
    expect(api.get('PersistentVolumeClaim', 'monitoring', 'prometheus-data')).toBeUndefined();
  });

  it('names the image and the fix when the API is stuck in ImagePullBackOff', async () => {
    api.react({ kind: 'Deployment', name: 'quote-api' }, (object, fake) => {
      object.status = { observedGeneration: object.metadata.generation, replicas: 2, updatedReplicas: 2, availableReplicas: 0 };
      const pod = fake.put(
        podFor(object, 'quote-api-7d9-abcde', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } }),
      );
      fake.put(
        warningEvent(pod, 'Failed', 'Failed to pull image "127.0.0.1:32000/quote-api:abc123": dial tcp [::1]:32000: connection refused'),
      );
    });
    const result = await run(sampleObjects());
    expect(result.ok).toBe(false);
    expect(result.error?.message).toContain('Deployment quotes-test/quote-api failed: ImagePullBackOff');
    expect(result.error?.message).toContain('image "127.0.0.1:32000/quote-api:abc123"');
    expect(result.error?.message).toContain('fix: push the image to 127.0.0.1:32000');
    expect(result.error?.message).toContain('connection refused');
    // Monitoring and seed never ran.
    expect(appliedNames()).not.toContain('Deployment/grafana');
  });

  it('shows the last log lines of a crash-looping container', async () => {
    api.react({ kind: 'Deployment', name: 'quote-api' }, (object, fake) => {
      object.status = { observedGeneration: object.metadata.generation, replicas: 2, updatedReplicas: 2, availableReplicas: 0 };
      fake.put(podFor(object, 'quote-api-7d9-crash', { waiting: { reason: 'CrashLoopBackOff' }, restartCount: 4 }));
      fake.setLogs(
        SAMPLE_NAMESPACE,
        'quote-api-7d9-crash',
        'current run\n',
        'starting\nConfigError: DATABASE_URL is required\nexiting with code 1\n',
      );
    });
    const result = await run(sampleObjects());
    expect(result.ok).toBe(false);
    expect(result.error?.message).toContain('CrashLoopBackOff: container quote-api in pod quote-api-7d9-crash');
    expect(result.error?.message).toContain('| ConfigError: DATABASE_URL is required');
    expect(result.error?.message).toContain('(restarts: 4)');
  });

  it('stops before the API rollout when the migration Job fails, showing its logs', async () => {
    api.react({ kind: 'Job', name: 'quote-api-migrate' }, (object, fake) => {
      object.status = {
        failed: 1,
        conditions: [
          { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
        ],
      };
      fake.put(podFor(object, 'quote-api-migrate-x1', { phase: 'Failed', terminated: { exitCode: 1, reason: 'Error' } }));
      fake.setLogs(SAMPLE_NAMESPACE, 'quote-api-migrate-x1', 'applying 0002_authors.sql\nerror: relation "authors" already exists\n');
    });
    const result = await run(sampleObjects());
    expect(result.ok).toBe(false);
    expect(result.error?.message).toContain('Job quotes-test/quote-api-migrate failed: Job failed (BackoffLimitExceeded');
    expect(result.error?.message).toContain('| error: relation "authors" already exists');
    expect(appliedNames()).not.toContain('Deployment/quote-api');
    // What did get applied is recorded, so a later up or down knows about it.
    expect(api.get('ConfigMap', SAMPLE_NAMESPACE, 'qctl-inventory')).toBeDefined();
  });

  it('fails after the deadline with the scheduler message when pods stay Pending', async () => {
    api.react({ kind: 'StatefulSet', name: 'postgres' }, (object, fake) => {
      object.status = { observedGeneration: object.metadata.generation, replicas: 1, readyReplicas: 0 };
      fake.put(
        podFor(object, 'postgres-0', {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
            },
          ],
        }),
      );
    });
    const started = Date.now();
    const result = await run(sampleObjects(), { timeoutMs: 300 });
    // The pod never schedules, so without the deadline this would wait for ever; 100x the deadline
    // tells the two apart on any machine load.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.ok).toBe(false);
    expect(result.error?.message).toContain('StatefulSet quotes-test/postgres failed: not ready after 300ms (timeout)');
    expect(result.error?.message).toContain('pod postgres-0 is Pending: 0/1 nodes are available');
    expect(result.error?.message).toContain('--timeout');
    expect(appliedNames()).not.toContain('Job/quote-api-migrate');
  });

  it('--rollback-on-failure restores the previous API revision', async () => {
    await run(sampleObjects('127.0.0.1:32000/quote-api:good'));
    api.react({ kind: 'Deployment', name: 'quote-api' }, (object, fake) => {
      const image = (object.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
      if (image.endsWith(':good')) {
        object.status = readyStatus(object);
        return;
      }
      object.status = { observedGeneration: object.metadata.generation, replicas: 3, updatedReplicas: 1, availableReplicas: 2 };
      fake.put(podFor(object, 'quote-api-bad-1', { waiting: { reason: 'ImagePullBackOff' } }));
    });
    const result = await run(sampleObjects('127.0.0.1:32000/quote-api:bad'), { rollbackOnFailure: true });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toContain('quote-api:bad');
    expect(result.rolledBack).toEqual({
      deployment: 'Deployment quotes-test/quote-api',
      image: '127.0.0.1:32000/quote-api:good',
      ready: true,
    });
    const live = api.get('Deployment', SAMPLE_NAMESPACE, 'quote-api')!;
    expect((live.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image).toBe(
      '127.0.0.1:32000/quote-api:good',
    );
  });

  it('--dry-run makes no mutating call and reports what would change', async () => {
    await run(sampleObjects('127.0.0.1:32000/quote-api:v1'));
    api.requests.length = 0;
    const result = await run(
      sampleObjects('127.0.0.1:32000/quote-api:v2').filter((o) => o.metadata.name !== 'quote-api-config'),
      { dryRun: true },
    );
    expect(result.ok).toBe(true);
    expect(api.mutations()).toEqual([]);
    const actions = new Map(result.objects.map((o) => [`${o.kind}/${o.name}`, o.action]));
    expect(actions.get('Deployment/quote-api')).toBe('configured');
    expect(actions.get('Job/quote-api-migrate')).toBe('replaced');
    expect(actions.get('Service/quote-api')).toBe('unchanged');
    expect(result.pruned).toEqual([{ kind: 'ConfigMap', namespace: SAMPLE_NAMESPACE, name: 'quote-api-config', action: 'would delete' }]);
  });

  it('re-runs the migration Job when the image changes (a Job template is immutable)', async () => {
    await run(sampleObjects('127.0.0.1:32000/quote-api:v1'));
    const uid = api.get('Job', SAMPLE_NAMESPACE, 'quote-api-migrate')!.metadata.uid;
    const result = await run(sampleObjects('127.0.0.1:32000/quote-api:v2'));
    expect(result.ok).toBe(true);
    expect(result.objects.find((o) => o.name === 'quote-api-migrate')?.action).toBe('replaced');
    expect(api.get('Job', SAMPLE_NAMESPACE, 'quote-api-migrate')!.metadata.uid).not.toBe(uid);
    expect(api.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/jobs/quote-api-migrate'))).toBe(true);
  });

  it('refuses before applying anything when the cluster does not serve a kind', async () => {
    const objects = [
      ...sampleObjects(),
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'quote-api', namespace: 'monitoring' },
        spec: {},
      },
    ];
    const result = deploy(kube, objects, options(), new Progress('json', true));
    await expect(result).rejects.toThrow(/does not serve ServiceMonitor \(monitoring.coreos.com\/v1\).*kube-prometheus-stack/);
    expect(api.mutations()).toEqual([]);
  });
  it('refuses a CloudNativePG Cluster on a cluster without the operator, naming the install command', async () => {
    const synth = await synthesize({ env: 'dev', cluster: 'microk8s', image: IMAGE_FOR_CNPG, set: ['postgres.mode=cnpg'], config: false });
    const result = deploy(kube, synth.objects as KubeObject[], options(), new Progress('json', true));
    await expect(result).rejects.toThrow(
      /does not serve Cluster \(postgresql\.cnpg\.io\/v1\), needed by .*postgres: install the CloudNativePG operator \(kubectl apply --server-side -f https:\/\/\S+cnpg-[\d.]+\.yaml\) or deploy with --set postgres\.mode=internal/,
    );
    expect(api.mutations()).toEqual([]);
  });

  it('applies the CloudNativePG Cluster and Pooler where the operator serves them', async () => {
    const cnpgApi = await startFakeKubeApi({ kinds: CNPG_KINDS });
    try {
      const cnpgKube = new Kube(
        await resolveKubeTarget({ flavour: deployFlavour('microk8s'), kubeconfigPath: cnpgApi.writeKubeconfig(['microk8s']) }),
      );
      const synth = await synthesize({
        env: 'dev',
        cluster: 'microk8s',
        image: IMAGE_FOR_CNPG,
        set: ['postgres.mode=cnpg', 'postgres.pooler=pgbouncer'],
        config: false,
      });
      const result = await deploy(
        cnpgKube,
        synth.objects as KubeObject[],
        options({ namespace: synth.namespace }),
        new Progress('json', true),
      );
      expect(result.error).toBeUndefined();
      expect(result.plan.find((s) => s.waitFor.includes('Cluster quotes-dev/postgres'))).toBeDefined();
      expect(cnpgApi.get('Cluster', synth.namespace, 'postgres')!.spec).toMatchObject({ instances: 1 });
      expect(cnpgApi.get('Pooler', synth.namespace, 'postgres-pooler-rw')!.spec).toMatchObject({ type: 'rw' });
    } finally {
      await cnpgApi.stop();
    }
  });

  it('sends every synthesized object to the API server unchanged (no field lost in the client models)', async () => {
    for (const env of ['dev', 'prod']) {
      const synth = await synthesize({ env, cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:abc', config: false });
      const objects = synth.objects as KubeObject[];
      api.requests.length = 0;
      const result = await run(objects, { env, namespace: synth.namespace });
      expect(result.error).toBeUndefined();
      for (const object of objects.filter((o) =>
        result.objects.some((r) => r.kind === o.kind && r.name === o.metadata.name && r.action === 'created'),
      )) {
        const sent = api
          .applies()
          .map((r) => r.body as KubeObject)
          .find(
            (b) => b.kind === object.kind && b.metadata.name === object.metadata.name && b.metadata.namespace === object.metadata.namespace,
          );
        expect(sent, `${object.kind} ${object.metadata.name}`).toEqual(compact(object));
      }
      // The field that the client's NetworkPolicy model renames (from -> _from) arrives intact.
      const policy = api.list('NetworkPolicy', synth.namespace).find((p) => JSON.stringify(p.spec).includes('"from"'));
      expect(policy).toBeDefined();
    }
  });

  it('a re-run of the real synth output writes nothing, even on a server that stores no empty lists or maps', async () => {
    const synth = await synthesize({ env: 'dev', cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:abc', config: false });
    const objects = synth.objects as KubeObject[];
    expect((await run(objects, { env: 'dev', namespace: synth.namespace })).ok).toBe(true);
    const versions = api.list().map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}@${String(o.metadata.resourceVersion)}`);
    api.requests.length = 0;
    const second = await run(objects, { env: 'dev', namespace: synth.namespace });
    expect(second.ok).toBe(true);
    expect(second.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skipped')).toEqual([]);
    expect(api.mutations()).toEqual([]);
    expect(api.list().map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}@${String(o.metadata.resourceVersion)}`)).toEqual(
      versions,
    );
    // One list per kind and namespace, not one GET per object.
    expect(api.requests.filter((r) => r.method === 'GET').length).toBeLessThan(objects.length / 2);
  });

  it('a re-run writes nothing on a server that drops a field behind a feature gate (StatefulSet PVC retention before 1.27)', async () => {
    await api.stop();
    api = await startFakeKubeApi({
      droppedFields: [{ kind: 'StatefulSet', path: ['spec', 'persistentVolumeClaimRetentionPolicy'] }],
    });
    kube = new Kube(await resolveKubeTarget({ flavour: deployFlavour('microk8s'), kubeconfigPath: api.writeKubeconfig(['microk8s']) }));
    const synth = await synthesize({ env: 'dev', cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:abc', config: false });
    const objects = synth.objects as KubeObject[];
    expect((await run(objects, { env: 'dev', namespace: synth.namespace })).ok).toBe(true);
    expect(api.get('StatefulSet', synth.namespace, 'postgres')!.spec).not.toHaveProperty('persistentVolumeClaimRetentionPolicy');
    api.requests.length = 0;
    const second = await run(objects, { env: 'dev', namespace: synth.namespace });
    expect(second.objects.filter((o) => o.action !== 'unchanged' && o.action !== 'skipped')).toEqual([]);
    expect(api.mutations()).toEqual([]);
  });

  it('re-applies an object whose live fields drifted, or that lost a field qctl applied', async () => {
    const objects = sampleObjects();
    const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'quote-api')!;
    sa.metadata.labels = { ...sa.metadata.labels, 'example.com/extra': 'yes' };
    expect((await run(objects)).ok).toBe(true);
    api.requests.length = 0;
    delete sa.metadata.labels['example.com/extra'];
    const config = api.get('ConfigMap', SAMPLE_NAMESPACE, 'quote-api-config')!;
    api.put({ ...config, data: { ...(config.data as Record<string, string>), LOG_LEVEL: 'debug' } });
    const result = await run(objects);
    const changed = result.objects.filter((o) => o.action === 'configured').map((o) => `${o.kind}/${o.name}`);
    expect(changed.sort()).toEqual(['ConfigMap/quote-api-config', 'ServiceAccount/quote-api']);
    expect(api.get('ServiceAccount', SAMPLE_NAMESPACE, 'quote-api')!.metadata.labels).not.toHaveProperty('example.com/extra');
  });

  it('reads objects one by one where it may not list them (RBAC), and still writes nothing on a re-run', async () => {
    const synth = await synthesize({ env: 'dev', cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:abc', config: false });
    const objects = synth.objects as KubeObject[];
    expect((await run(objects, { env: 'dev', namespace: synth.namespace })).ok).toBe(true);
    api.forbid('list', 'ClusterRole');
    api.forbid('list', 'Namespace');
    api.requests.length = 0;
    const again = await run(objects, { env: 'dev', namespace: synth.namespace });
    expect(again.error).toBeUndefined();
    expect(api.mutations()).toEqual([]);
    expect(
      api.requests.some((r) => r.method === 'GET' && r.path === '/apis/rbac.authorization.k8s.io/v1/clusterroles/qctl-prometheus-dev'),
    ).toBe(true);
  });
});
