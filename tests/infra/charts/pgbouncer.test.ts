import { describe, expect, it } from 'vitest';
import { buildPgbouncer, type PgbouncerProps } from '../../../infra/charts/pgbouncer.js';
import { only, PROPS, synthChart } from './synth-chart.js';

const synth = (props: PgbouncerProps | undefined) => synthChart((scope) => buildPgbouncer(scope, props), '25-pgbouncer.yaml')[0]!;
const BASE: PgbouncerProps = { ...PROPS, serverHost: 'postgres.quotes-test.svc.cluster.local' };

describe('buildPgbouncer', () => {
  it('emits nothing without props (pooler off, or CloudNativePG runs its own)', () => {
    expect(synth(undefined)).toEqual([]);
  });

  it('a transaction-mode pooler whose server pool is what the budget counts, in phase data', () => {
    const objects = synth({ ...BASE, pgbouncer: { poolSize: 15, maxClientConnections: 500, replicas: 1 } });
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'ServiceAccount', 'Deployment', 'Service']);
    const ini: string = only(objects, 'ConfigMap').data['pgbouncer.ini'];
    expect(ini).toContain('pool_mode = transaction');
    expect(ini).toContain('default_pool_size = 15\nmax_db_connections = 15');
    expect(ini).toContain('reserve_pool_size = 0');
    expect(ini).toContain('max_client_conn = 500');
    expect(ini).toContain('* = host=postgres.quotes-test.svc.cluster.local port=5432 ');
    expect(ini).not.toMatch(/password/i);
    const deployment = only(objects, 'Deployment');
    expect(deployment.metadata.annotations?.['qctl.dev/phase']).toBe('data');
    expect(deployment.spec.replicas).toBe(1);
    const pod = deployment.spec.template.spec;
    expect(pod.initContainers[0].env.map((e: { valueFrom: { secretKeyRef: { name: string } } }) => e.valueFrom.secretKeyRef.name)).toEqual([
      'postgres-credentials',
      'postgres-credentials',
    ]);
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['pgbouncer', 'exporter']);
    expect(pod.containers[1].args[1]).toBe(
      '--pgBouncer.connectionString=postgres://$(PGUSER):$(PGPASSWORD)@127.0.0.1:6432/pgbouncer?sslmode=disable',
    );
    expect(deployment.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9127' });
    // Clients keep the database port; the Service maps it onto PgBouncer's.
    expect(only(objects, 'Service').spec.ports).toEqual([
      { name: 'pgbouncer', port: 5432, targetPort: 'pgbouncer', protocol: 'TCP' },
      { name: 'metrics', port: 9127, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  it('several replicas get a PDB; a managed database gets TLS; the credentials Secret is the one given', () => {
    const objects = synth({ ...BASE, serverTls: 'require', credentialsSecret: 'other', pgbouncer: { replicas: 2 } });
    expect(only(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(only(objects, 'ConfigMap').data['pgbouncer.ini']).toContain('server_tls_sslmode = require');
    expect(only(objects, 'Deployment').spec.template.spec.containers[1].env[0].valueFrom.secretKeyRef.name).toBe('other');
  });
});
