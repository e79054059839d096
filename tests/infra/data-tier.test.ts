import { describe, expect, it } from 'vitest';
import { CLUSTER_NAMES } from '../../infra/clusters.js';
import { ENVIRONMENT_NAMES } from '../../infra/environments.js';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { formatIssue, validateFiles, validateObjects } from '../../infra/validate.js';

type Json = Record<string, any>;
const IMAGE = '127.0.0.1:32000/quote-api:git-3f2a1bc';
const OPTIONS = {
  pgbouncer: ['postgres.pooler=pgbouncer'],
  'external + pgbouncer': ['postgres.mode=external', 'postgres.externalHost=db.example.com', 'postgres.pooler=pgbouncer'],
  cnpg: ['postgres.mode=cnpg'],
  'cnpg + pooler': ['postgres.mode=cnpg', 'postgres.pooler=pgbouncer'],
} as const;

const synth = (env: string, set: readonly string[], monitoring = 'none', cluster = 'microk8s') =>
  synthesize({ env, cluster, monitoring, image: IMAGE, set: [...set], config: false });
const find = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as Json | undefined;
const apiEnv = (objects: KubeObject[]) => find(objects, 'Deployment', 'quote-api')!.spec.template.spec.containers[0].env as Json[];
const envValue = (env: Json[], name: string) => env.find((e) => e.name === name);

describe('every data-tier option validates in every environment, cluster flavour and monitoring mode', () => {
  const cases = ENVIRONMENT_NAMES.flatMap((env) => Object.keys(OPTIONS).map((option) => [env, option] as const));
  it.each(cases)('%s with %s', async (env, option) => {
    for (const cluster of CLUSTER_NAMES) {
      for (const monitoring of ['self', 'operator', 'none']) {
        const result = await synth(env, OPTIONS[option as keyof typeof OPTIONS], monitoring, cluster);
        expect(validateFiles(result.files).map(formatIssue), `${env}/${option}/${cluster}/${monitoring}`).toEqual([]);
      }
    }
  });
});

describe('pgbouncer', () => {
  it('points only the API at the pooler; the Jobs and the exporter keep the server', async () => {
    const { objects } = await synth('prod', OPTIONS.pgbouncer, 'self');
    expect(envValue(apiEnv(objects), 'PGHOST')!.value).toBe('pgbouncer.quotes-prod.svc.cluster.local');
    expect(find(objects, 'ConfigMap', 'quote-api-config')!.data.PGHOST).toBe('postgres.quotes-prod.svc.cluster.local');
    for (const job of objects.filter((o) => o.kind === 'Job') as Json[])
      expect(envValue(job.spec.template.spec.containers[0].env, 'PGHOST'), job.metadata.name).toBeUndefined();
    const deployment = find(objects, 'Deployment', 'pgbouncer')!;
    expect(deployment.spec.replicas).toBe(2);
    expect(find(objects, 'PodDisruptionBudget', 'pgbouncer')).toBeDefined();
    expect(find(objects, 'ConfigMap', 'pgbouncer-config')!.data['pgbouncer.ini']).toContain('default_pool_size = 20');
  });

  it('a managed database behind the pooler gets TLS from it', async () => {
    const { objects } = await synth('staging', OPTIONS['external + pgbouncer']);
    expect(find(objects, 'ConfigMap', 'pgbouncer-config')!.data['pgbouncer.ini']).toMatch(
      /\* = host=db\.example\.com port=5432 [^\n]*\n[\s\S]*server_tls_sslmode = require/,
    );
  });

  it('in operator mode its exporter sidecar gets a ServiceMonitor', async () => {
    const { objects } = await synth('dev', OPTIONS.pgbouncer, 'operator');
    expect(find(objects, 'ServiceMonitor', 'pgbouncer')!.spec.endpoints[0].port).toBe('metrics');
  });
});

describe('cnpg', () => {
  it('a Cluster with the environment instances, storage, resources and budget; the app Secret wired into the API and Jobs', async () => {
    for (const [env, instances] of [
      ['dev', 1],
      ['prod', 3],
    ] as const) {
      const { objects } = await synth(env, OPTIONS.cnpg, 'self');
      expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres')).toBe(false);
      const cluster = find(objects, 'Cluster', 'postgres')!;
      expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
      expect(cluster.metadata.annotations['qctl.dev/phase']).toBe('data');
      expect(cluster.spec.instances).toBe(instances);
      expect(cluster.spec.postgresql.parameters.max_connections).toBe(env === 'prod' ? '150' : '100');
      expect(cluster.spec.bootstrap.initdb).toMatchObject({ database: 'quotes', owner: 'quotes' });
      expect(cluster.spec.bootstrap.initdb.postInitApplicationSQL).toContain('CREATE EXTENSION IF NOT EXISTS vector');
      expect(cluster.spec.storage).toEqual({ size: env === 'prod' ? '20Gi' : '1Gi', storageClass: 'microk8s-hostpath' });
      expect(cluster.spec.backup).toBeUndefined();
      expect(find(objects, 'ConfigMap', 'quote-api-config')!.data.PGHOST).toBe(`postgres-rw.quotes-${env}.svc.cluster.local`);
      for (const workload of objects.filter(
        (o) => ['Job', 'Deployment'].includes(o.kind) && o.metadata.name.startsWith('quote-api'),
      ) as Json[])
        expect(
          envValue(workload.spec.template.spec.containers[0].env, 'PGPASSWORD')!.valueFrom.secretKeyRef,
          workload.metadata.name,
        ).toEqual({
          name: 'postgres-app',
          key: 'password',
        });
      const exporter = find(objects, 'Deployment', 'postgres-exporter')!.spec.template.spec.containers[0].env as Json[];
      expect(envValue(exporter, 'DATA_SOURCE_URI')!.value).toMatch(/^postgres-rw:5432\/quotes/);
      expect(find(objects, 'Pooler', 'postgres-pooler-rw')).toBeUndefined();
    }
  });

  it('with the pooler: a transaction-mode Pooler the API uses, sized like the budget says', async () => {
    const { objects } = await synth('prod', OPTIONS['cnpg + pooler'], 'operator');
    const pooler = find(objects, 'Pooler', 'postgres-pooler-rw')!;
    expect(pooler.spec).toMatchObject({ cluster: { name: 'postgres' }, instances: 2, type: 'rw' });
    expect(pooler.spec.pgbouncer.poolMode).toBe('transaction');
    expect(pooler.spec.pgbouncer.parameters).toMatchObject({ default_pool_size: '20', max_db_connections: '20' });
    expect(envValue(apiEnv(objects), 'PGHOST')!.value).toBe('postgres-pooler-rw.quotes-prod.svc.cluster.local');
    expect(find(objects, 'Deployment', 'pgbouncer')).toBeUndefined();
    const monitors = objects.filter((o) => o.kind === 'PodMonitor') as Json[];
    expect(monitors.map((m) => [m.metadata.name, m.spec.selector.matchLabels, m.spec.podMetricsEndpoints[0].port])).toEqual([
      ['postgres', { 'cnpg.io/cluster': 'postgres' }, 'metrics'],
      ['postgres-pooler-rw', { 'cnpg.io/poolerName': 'postgres-pooler-rw' }, 'metrics'],
    ]);
    expect(monitors.every((m) => m.metadata.labels.release)).toBe(true);
  });

  it('the Cluster and Pooler are checked against the real CRDs: a wrong field is reported', async () => {
    const { objects } = await synth('dev', OPTIONS['cnpg + pooler']);
    const broken = structuredClone(objects) as Json[];
    find(broken as KubeObject[], 'Cluster', 'postgres')!.spec.instances = 'three';
    find(broken as KubeObject[], 'Pooler', 'postgres-pooler-rw')!.spec.pgbouncer.poolMode = 'statemnt';
    const issues = validateObjects(broken as KubeObject[]).filter((i) => i.rule === 'schema');
    expect(issues.map((i) => `${i.kind} ${i.path}`)).toEqual(
      expect.arrayContaining(['Cluster spec.instances', 'Pooler spec.pgbouncer.poolMode']),
    );
  });
});
