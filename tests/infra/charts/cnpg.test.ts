import { describe, expect, it } from 'vitest';
import { buildCnpg, type CnpgProps } from '../../../infra/charts/cnpg.js';
import { only, PROPS, synthChart } from './synth-chart.js';

const synth = (props: CnpgProps | undefined) => synthChart((scope) => buildCnpg(scope, props), '20-postgres.yaml')[0]!;

describe('buildCnpg', () => {
  it('emits nothing outside postgres.mode=cnpg', () => {
    expect(synth(undefined)).toEqual([]);
  });

  it('with the required props only: a one-instance Cluster on the defaults, no Pooler, in phase data', () => {
    const objects = synth(PROPS);
    expect(objects.map((o) => o.kind)).toEqual(['Cluster']);
    const cluster = only(objects, 'Cluster');
    expect(cluster.metadata.annotations?.['qctl.dev/phase']).toBe('data');
    expect(cluster.spec).toMatchObject({
      instances: 1,
      imageName: expect.stringMatching(/^ghcr\.io\/cloudnative-pg\/postgresql:\d+\.\d+-standard-/),
      postgresql: { parameters: { max_connections: '100', superuser_reserved_connections: '3' } },
      storage: { size: '1Gi' },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    });
    expect(cluster.spec.storage.storageClass).toBeUndefined();
    // The instance pods carry our selector labels (the exporter's policies select them) and the scrape annotations.
    expect(cluster.spec.inheritedMetadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'postgres',
      'app.kubernetes.io/instance': 'quotes-dev',
    });
    expect(cluster.spec.inheritedMetadata.annotations['prometheus.io/port']).toBe('9187');
  });

  it('takes instances, storage class, connection limit and the pooler sizes', () => {
    const objects = synth({
      ...PROPS,
      cnpg: { instances: 3 },
      storageClassName: 'fast',
      maxConnections: 300,
      pooler: {
        replicas: 3,
        poolSize: 25,
        maxClientConnections: 2000,
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '1', memory: '128Mi' } },
      },
    });
    const cluster = only(objects, 'Cluster');
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.storage.storageClass).toBe('fast');
    expect(cluster.spec.postgresql.parameters.max_connections).toBe('300');
    const pooler = only(objects, 'Pooler');
    expect(pooler.spec.instances).toBe(3);
    expect(pooler.spec.pgbouncer.parameters).toMatchObject({ default_pool_size: '25', max_db_connections: '25', max_client_conn: '2000' });
    expect(pooler.spec.template.spec.containers[0].resources.limits.memory).toBe('128Mi');
  });
});
