import { ApiObject } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { buildStacks, synthesize } from '../../infra/main.js';
import { PHASE_ANNOTATION, PHASES } from '../../infra/phases.js';
import { ManifestScope } from '../../infra/scope.js';
import { deployFlavour } from '../../bin/deploy/clusters.js';
import { imageRef, shipCommands } from '../../bin/deploy/ship.js';
import { checkGeneratedReferences, findSecretReferences, GENERATED_SECRETS } from '../../bin/deploy/credentials.js';
import type { KubeObject, ObjectRef } from '../../bin/kube/objects.js';
import { buildPlan, phaseOf, planPrune, teardownOrder } from '../../bin/deploy/plan.js';
import { yamlDiff } from '../../bin/deploy/text-diff.js';
import { readiness } from '../../bin/deploy/waits.js';
import { formatEnv, parseEnv } from '../../bin/secrets/envfile.js';

const synthObjects = async (env = 'dev') =>
  (await synthesize({ env, cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:abc', config: false })).objects as KubeObject[];

describe('apply plan for the real synth output', () => {
  it('orders namespaces, RBAC, config, data, migration, API, monitoring, seed', async () => {
    const steps = buildPlan(await synthObjects(), { firstInstall: true });
    expect(steps.map((s) => s.phase)).toEqual(['namespaces', 'rbac', 'config', 'data', 'migrate', 'api', 'monitoring', 'seed']);
    const phase = (kind: string, name: RegExp) =>
      steps.find((s) => s.objects.some((o) => o.kind === kind && name.test(o.metadata.name)))?.phase;
    expect(phase('StatefulSet', /^postgres$/)).toBe('data');
    expect(phase('StatefulSet', /^redis$/)).toBe('data');
    expect(phase('Job', /migrate/)).toBe('migrate');
    expect(phase('Deployment', /^quote-api$/)).toBe('api');
    expect(phase('Deployment', /postgres-exporter/)).toBe('monitoring');
    expect(phase('Job', /seed/)).toBe('seed');
    const data = steps.find((s) => s.phase === 'data')!;
    expect(data.waitFor.map((r) => r.name)).toEqual(['postgres', 'redis']);
    expect(steps.find((s) => s.phase === 'api')!.waitFor.map((r) => r.name)).toEqual(['quote-api']);
  });

  it('leaves the seed Job out after the first install', async () => {
    const steps = buildPlan(await synthObjects(), { firstInstall: false });
    expect(steps.map((s) => s.phase)).not.toContain('seed');
  });

  it('every key the manifests read from a generated Secret is one qctl generates', async () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const refs = findSecretReferences(await synthObjects(env));
      expect(() => checkGeneratedReferences(refs)).not.toThrow();
      for (const name of ['postgres-credentials', 'redis-credentials']) expect(refs.has(name)).toBe(true);
    }
    expect(Object.keys(GENERATED_SECRETS['postgres-credentials']!)).toEqual(['username', 'password']);
  });

  it('stops on a referenced key that qctl does not generate, naming it', () => {
    const object: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', namespace: 'quotes-dev' },
      spec: {
        template: {
          spec: {
            containers: [{ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'redis-credentials', key: 'REDIS_PASSWORD' } } }] }],
          },
        },
      },
    };
    expect(() => checkGeneratedReferences(findSecretReferences([object]))).toThrow(
      /key\(s\) REDIS_PASSWORD of Secret quotes-dev\/redis-credentials/,
    );
  });
});

describe('prune and teardown', () => {
  const ref = (kind: string, name: string, namespace?: string): ObjectRef => ({
    apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
    kind,
    name,
    namespace,
  });
  const previous = [
    ref('Namespace', 'quotes-dev'),
    ref('ConfigMap', 'old-config', 'quotes-dev'),
    ref('PersistentVolumeClaim', 'data', 'quotes-dev'),
    ref('Deployment', 'old-api', 'quotes-dev'),
    ref('Service', 'quote-api', 'quotes-dev'),
  ];

  it('deletes what disappeared (API before config), keeps data kinds unless asked', () => {
    const decisions = planPrune(previous, [ref('Service', 'quote-api', 'quotes-dev')], { pruneData: false });
    expect(decisions.map((d) => `${d.action} ${d.ref.kind}/${d.ref.name}`)).toEqual([
      'delete Deployment/old-api',
      'keep PersistentVolumeClaim/data',
      'delete ConfigMap/old-config',
      'keep Namespace/quotes-dev',
    ]);
    const all = planPrune(previous, [], { pruneData: true });
    expect(all.every((d) => d.action === 'delete')).toBe(true);
  });

  it('tears down in reverse apply order', () => {
    expect(teardownOrder(previous).map((r) => r.kind)).toEqual([
      'Service',
      'Deployment',
      'PersistentVolumeClaim',
      'ConfigMap',
      'Namespace',
    ]);
  });

  it('orders inventory refs (which carry no phase) by kind', () => {
    const refs = [ref('Namespace', 'quotes-dev'), ref('StatefulSet', 'postgres', 'quotes-dev'), ref('Service', 'quote-api', 'quotes-dev')];
    expect(teardownOrder(refs).map((r) => r.name)).toEqual(['quote-api', 'postgres', 'quotes-dev']);
  });
});

describe('phases come from infra', () => {
  const o = (kind: string, name: string, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace: 'quotes-dev', ...(annotations ? { annotations } : {}) },
  });

  it('every synthesized object carries the phase infra placed it in', async () => {
    for (const monitoring of ['self', 'operator']) {
      const result = await synthesize({ env: 'prod', monitoring, config: false });
      for (const file of result.files) {
        for (const object of file.objects)
          expect(PHASES, `${object.kind}/${object.metadata.name}`).toContain(object.metadata.annotations?.[PHASE_ANNOTATION]);
      }
    }
  });

  it('reads the annotation, whatever the name says', () => {
    expect(phaseOf(o('StatefulSet', 'postgres', { [PHASE_ANNOTATION]: 'api' }))).toBe('api');
    expect(phaseOf(o('Job', 'seed-everything', { [PHASE_ANNOTATION]: 'migrate' }))).toBe('migrate');
  });

  it('places objects without the annotation by kind only, never in the seed phase', () => {
    expect(phaseOf(o('CustomResourceDefinition', 'x'))).toBe('namespaces');
    expect(phaseOf(o('RoleBinding', 'x'))).toBe('rbac');
    expect(phaseOf(o('NetworkPolicy', 'x'))).toBe('config');
    expect(phaseOf(o('ServiceMonitor', 'quote-api'))).toBe('monitoring');
    expect(phaseOf(o('Job', 'quote-api-seed-1'))).toBe('api');
    expect(phaseOf(o('StatefulSet', 'postgres'))).toBe('api');
  });

  it('refuses an unknown phase, naming the object and the valid ones', () => {
    expect(() => phaseOf(o('Deployment', 'x', { [PHASE_ANNOTATION]: 'later' }))).toThrow(
      /Deployment quotes-dev\/x: unknown qctl.dev\/phase "later": use one of namespaces, rbac, config, data, migrate, api, monitoring, seed/,
    );
  });

  it('puts a new workload of each kind where infra places it, and skips only the seed phase on later runs', async () => {
    const result = await synthesize({ env: 'dev', cluster: 'microk8s', image: '127.0.0.1:32000/quote-api:abc', config: false });
    const scope = new ManifestScope();
    buildStacks(scope, result.context);
    const pod = { containers: [{ name: 'main', image: 'busybox:1.36' }], restartPolicy: 'Never' };
    const meta = (name: string) => ({ name, namespace: result.namespace });
    const template = { metadata: { labels: { app: 'x' } }, spec: { ...pod, restartPolicy: 'Always' } };
    const spec = { selector: { matchLabels: { app: 'x' } }, template };
    new ApiObject(scope.file('22-minio.yaml'), 'minio', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('minio'),
      spec: { ...spec, serviceName: 'minio' },
    });
    new ApiObject(scope.file('22-minio.yaml'), 'minio-config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('minio-config'),
      data: {},
    });
    new ApiObject(scope.file('31-backfill-job.yaml'), 'backfill', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('backfill'),
      spec: { template: { spec: pod } },
    });
    new ApiObject(scope.file('45-reseed-nightly.yaml'), 'reseed', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('reseed-nightly'),
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: pod } } } },
    });
    new ApiObject(scope.file('46-worker.yaml'), 'worker', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('seed-worker'),
      spec,
    });
    new ApiObject(scope.file('64-node-exporter.yaml'), 'node-exporter', {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('node-exporter'),
      spec,
    });
    new ApiObject(scope.file('95-seed-extra.yaml'), 'seed-extra', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('extra'),
      spec: { template: { spec: pod } },
    });
    const objects = scope.toFiles().flatMap((file) => file.objects);

    const later = buildPlan(objects, { firstInstall: false });
    const placed = (kind: string, name: string) => later.find((s) => s.objects.some((x) => x.kind === kind && x.metadata.name === name));
    expect(placed('StatefulSet', 'minio')?.phase).toBe('data');
    expect(placed('ConfigMap', 'minio-config')?.phase).toBe('config');
    expect(placed('Job', 'backfill')?.phase).toBe('migrate');
    expect(placed('CronJob', 'reseed-nightly')?.phase).toBe('api');
    expect(placed('Deployment', 'seed-worker')?.phase).toBe('api');
    expect(placed('DaemonSet', 'node-exporter')?.phase).toBe('monitoring');
    expect(placed('Job', 'extra')).toBeUndefined();
    expect(placed('Job', result.objects.find((x) => x.kind === 'Job' && /seed/.test(x.metadata.name))!.metadata.name)).toBeUndefined();

    // Waits follow the kind within each phase: workloads and Jobs, not CronJobs.
    const waits = (phase: string) => later.find((s) => s.phase === phase)!.waitFor.map((r) => `${r.kind}/${r.name}`);
    expect(waits('data')).toEqual(['StatefulSet/postgres', 'StatefulSet/minio', 'StatefulSet/redis']);
    expect(waits('migrate')).toContain('Job/backfill');
    expect(waits('api')).toEqual(['Deployment/quote-api', 'Deployment/seed-worker']);
    expect(waits('monitoring')).toContain('DaemonSet/node-exporter');

    const first = buildPlan(objects, { firstInstall: true });
    expect(first.at(-1)!.phase).toBe('seed');
    expect(first.at(-1)!.waitFor.map((r) => r.name)).toContain('extra');
  });
});

describe('readiness', () => {
  const deployment = (status: Record<string, unknown>, replicas = 2): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'a', generation: 3 },
    spec: { replicas },
    status,
  });

  it('waits for the controller to observe the new generation and old replicas to go', () => {
    expect(readiness(deployment({ observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2, replicas: 2 })).ready).toBe(false);
    expect(readiness(deployment({ observedGeneration: 3, updatedReplicas: 2, availableReplicas: 2, replicas: 3 })).ready).toBe(false);
    expect(readiness(deployment({ observedGeneration: 3, updatedReplicas: 2, availableReplicas: 2, replicas: 2 })).ready).toBe(true);
  });

  it('reports a stalled rollout and a failed Job as fatal', () => {
    const stalled = deployment({
      observedGeneration: 3,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    });
    expect(readiness(stalled).fatal).toContain('progress deadline');
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    };
    expect(readiness(job).fatal).toContain('BackoffLimitExceeded');
  });

  it('waits for a CloudNativePG Cluster until it is Ready with every instance, before the migration', async () => {
    const cluster = (status: Record<string, unknown>): KubeObject => ({
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Cluster',
      metadata: { name: 'postgres' },
      spec: { instances: 3 },
      status,
    });
    expect(readiness(cluster({ readyInstances: 2, conditions: [{ type: 'Ready', status: 'False' }] }))).toEqual({
      ready: false,
      progress: '2/3 instances ready',
    });
    expect(readiness(cluster({ readyInstances: 3, conditions: [{ type: 'Ready', status: 'True' }] })).ready).toBe(true);
    const synth = await synthesize({ env: 'prod', image: 'quote-api:abc', set: ['postgres.mode=cnpg'], config: false, monitoring: 'none' });
    const steps = buildPlan(synth.objects as KubeObject[], { firstInstall: true });
    expect(steps.find((s) => s.phase === 'data')!.waitFor).toContainEqual(expect.objectContaining({ kind: 'Cluster', name: 'postgres' }));
    expect(steps.findIndex((s) => s.phase === 'data')).toBeLessThan(steps.findIndex((s) => s.phase === 'migrate'));
  });
});

describe('env files', () => {
  it('parses comments, export, quotes and inline comments', () => {
    const text = '# comment\n\nexport A=1\nB="two words\\nnext"\nC=\'lit $x\'\nD=plain # note\nE=\n';
    expect(parseEnv(text, 'x.env')).toEqual({ A: '1', B: 'two words\nnext', C: 'lit $x', D: 'plain', E: '' });
  });

  it('round-trips through formatEnv', () => {
    const entries = { OPENAI_API_KEY: 'sk-abc', API_TOKEN: 'with "quotes" and\nnewline', EMPTY: '' };
    expect(parseEnv(formatEnv(entries), 'x')).toEqual(entries);
  });

  it.each([
    ['NOEQUALS', /x\.env line 1: expected KEY=VALUE/],
    ['1BAD=x', /x\.env line 1: invalid key "1BAD"/],
    ['A="open', /x\.env line 1: unterminated double quote/],
  ])('rejects %j with the line number', (text, message) => {
    expect(() => parseEnv(text, 'x.env')).toThrow(message);
  });
});

describe('yamlDiff', () => {
  it('shows changed lines and redacts Secret values', () => {
    const before: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', resourceVersion: '3' }, data: { A: 'c2VjcmV0' } };
    const after: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { A: 'bmV3LXNlY3JldA==' } };
    const lines = yamlDiff(before, after, 'Secret');
    expect(lines).toContain('-   A: (8 bytes)');
    expect(lines).toContain('+   A: (16 bytes)');
    expect(lines.join('\n')).not.toContain('c2VjcmV0');
  });
});

describe('shipping commands per cluster flavour', () => {
  const ref = (flavour: string, registry?: string) => imageRef(deployFlavour(flavour), 'abc123def456', registry);
  const ship = (
    flavour: string,
    builder: 'docker' | 'podman',
    context: string,
    extra: { microk8sMode?: 'push' | 'import'; registry?: string } = {},
  ) =>
    shipCommands(ref(flavour, extra.registry), { flavour: deployFlavour(flavour), builder, context, archive: '/tmp/i.tar', ...extra }).map(
      (s) => [s.command, ...s.args].join(' '),
    );

  it('never uses localhost or latest for microk8s', () => {
    expect(ref('microk8s')).toBe('127.0.0.1:32000/quote-api:abc123def456');
    expect(ship('microk8s', 'docker', 'microk8s', { microk8sMode: 'push' })).toEqual([
      'docker push 127.0.0.1:32000/quote-api:abc123def456',
    ]);
    expect(ship('microk8s', 'podman', 'microk8s', { microk8sMode: 'push' })).toEqual([
      'podman push --tls-verify=false 127.0.0.1:32000/quote-api:abc123def456',
    ]);
    expect(ship('microk8s', 'docker', 'microk8s', { microk8sMode: 'import' })).toEqual([
      'docker save -o /tmp/i.tar 127.0.0.1:32000/quote-api:abc123def456',
      'microk8s ctr image import /tmp/i.tar',
    ]);
  });

  it('loads into kind, minikube and k3d by the cluster name in the context; archives without docker', () => {
    expect(ship('kind', 'docker', 'kind-dev')).toEqual(['kind load docker-image quote-api:abc123def456 --name dev']);
    expect(ship('kind', 'podman', 'kind-dev')).toEqual([
      'podman save -o /tmp/i.tar quote-api:abc123def456',
      'kind load image-archive /tmp/i.tar --name dev',
    ]);
    expect(ship('minikube', 'docker', 'minikube')).toEqual(['minikube image load quote-api:abc123def456 -p minikube']);
    expect(ship('k3d', 'docker', 'k3d-lab')).toEqual(['k3d image import quote-api:abc123def456 -c lab']);
    expect(ship('docker-desktop', 'docker', 'docker-desktop')).toEqual([]);
  });

  it('pushes to --registry for generic clusters and requires it', () => {
    expect(ship('generic', 'docker', 'prod', { registry: 'ghcr.io/acme/' })).toEqual(['docker push ghcr.io/acme/quote-api:abc123def456']);
    expect(() => ref('generic')).toThrow(/--cluster generic needs --registry HOST/);
  });
});
