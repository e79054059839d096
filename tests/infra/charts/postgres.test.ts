import { describe, expect, it } from 'vitest';
import { buildPostgres } from '../../../infra/charts/postgres.js';
import { ManifestScope } from '../../../infra/scope.js';
import { only, PROPS, synthChart } from './synth-chart.js';

describe('buildPostgres', () => {
  it('with only env and namespace: the documented defaults', () => {
    const [objects] = synthChart((scope) => buildPostgres(scope, PROPS), '20-postgres.yaml');
    expect(objects!.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/postgres-headless',
      'Service/postgres',
      'StatefulSet/postgres',
    ]);
    const sts = only(objects!, 'StatefulSet');
    expect(sts.metadata.namespace).toBe('quotes-test');
    expect(sts.metadata.annotations).toEqual({ 'qctl.dev/phase': 'data' });
    const container = sts.spec.template.spec.containers[0];
    expect(container.image).toBe('pgvector/pgvector:0.8.0-pg17');
    expect(container.ports).toEqual([{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }]);
    expect(container.env).toContainEqual({ name: 'POSTGRES_DB', value: 'quotes' });
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    const claim = sts.spec.volumeClaimTemplates[0];
    expect(claim.spec.resources.requests.storage).toBe('1Gi');
    expect(claim.spec.storageClassName).toBeUndefined();
  });

  it('takes each prop it documents', () => {
    const [objects] = synthChart(
      (scope) =>
        buildPostgres(scope, {
          ...PROPS,
          image: 'pgvector/pgvector:0.8.1-pg17',
          port: 6543,
          database: 'q',
          storageSize: '9Gi',
          storageClassName: 'fast',
          resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } },
        }),
      '20-postgres.yaml',
    );
    const sts = only(objects!, 'StatefulSet');
    const container = sts.spec.template.spec.containers[0];
    expect(container.image).toBe('pgvector/pgvector:0.8.1-pg17');
    expect(container.env).toContainEqual({ name: 'PGPORT', value: '6543' });
    expect(container.env).toContainEqual({ name: 'POSTGRES_DB', value: 'q' });
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast', resources: { requests: { storage: '9Gi' } } });
    // Shared memory is a quarter of the memory limit.
    expect(sts.spec.template.spec.volumes).toContainEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '1024Mi' } });
    expect(only(objects!, 'Service', 'postgres').spec.ports).toEqual([
      { name: 'postgres', port: 6543, targetPort: 'postgres', protocol: 'TCP' },
    ]);
  });

  it('emits nothing without props (postgres.mode=external)', () => {
    const scope = new ManifestScope();
    buildPostgres(scope, undefined);
    expect(scope.toFiles()).toEqual([]);
  });
});
