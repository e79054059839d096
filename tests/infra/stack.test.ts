import { describe, expect, it } from 'vitest';
import { buildStacks, synthesize } from '../../infra/main.js';
import { ManifestScope, type KubeObject } from '../../infra/scope.js';

/** The stack of an environment with these settings, and its objects, built from one context. */
async function stackOf(set: string[]) {
  const { context } = await synthesize({ env: 'dev', config: false, set });
  const scope = new ManifestScope();
  const stack = buildStacks(scope, context);
  const objects = scope.toFiles().flatMap((file) => file.objects) as Array<KubeObject & { spec?: any; data?: any }>;
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const apiContainer = () => find('Deployment', 'quote-api').spec.template.spec.containers[0];
  const envValue = (name: string) => apiContainer().env.find((e: { name: string }) => e.name === name);
  return { stack, objects, find, apiContainer, envValue };
}

describe('buildStacks wires each part to the properties of the others', () => {
  it('PgBouncer: the ConfigMap and the pooler point at the database, the API at the pooler, each pod at its account', async () => {
    const { stack, find, envValue } = await stackOf(['postgres.pooler=pgbouncer']);
    const database = stack.database;
    expect(database).toBe(stack.postgres);
    expect(find('ConfigMap', stack.appConfig.configMapName).data).toMatchObject({ PGHOST: database.host, PGPORT: String(database.port) });
    expect(find('ConfigMap', 'pgbouncer-config').data['pgbouncer.ini']).toContain(`* = host=${database.host} port=${database.port} `);
    expect(envValue('PGHOST')).toEqual({ name: 'PGHOST', value: stack.pgbouncer!.host });
    expect(envValue('PGUSER').valueFrom.secretKeyRef.name).toBe(database.credentials.secretName);
    expect(find('Deployment', 'quote-api').spec.template.metadata.annotations['qctl.dev/config-hash']).toBe(stack.appConfig.configHash);
    const account = (kind: string, name: string) => find(kind, name).spec.template.spec.serviceAccountName;
    expect(account('Deployment', 'quote-api')).toBe(stack.serviceAccounts.api.serviceAccountName);
    expect(account('StatefulSet', 'postgres')).toBe(stack.serviceAccounts.postgres!.serviceAccountName);
    expect(account('StatefulSet', 'redis')).toBe(stack.serviceAccounts.redis!.serviceAccountName);
    expect(account('Job', stack.jobs.migrate.name)).toBe(stack.serviceAccounts.jobs.serviceAccountName);
    // The API reaches the pooler's pods on their own port, not the Service's.
    const egress = find('NetworkPolicy', 'quote-api-egress').spec.egress[0];
    expect(egress).toEqual({
      to: [{ podSelector: { matchLabels: stack.pgbouncer!.selector } }],
      ports: [{ protocol: 'TCP', port: stack.pgbouncer!.containerPort }],
    });
  });

  it("CloudNativePG: the API uses the Pooler's host and the operator's Secret; the exporter watches the cluster's Service", async () => {
    const { stack, find, envValue } = await stackOf(['postgres.mode=cnpg', 'postgres.pooler=pgbouncer']);
    expect(stack.database).toBe(stack.cnpg);
    expect(stack.postgres).toBeUndefined();
    expect(envValue('PGHOST').value).toBe(stack.cnpg!.pooler!.host);
    expect(envValue('PGPASSWORD').valueFrom.secretKeyRef.name).toBe(stack.cnpg!.credentials.secretName);
    expect(find('ConfigMap', 'quote-api-config').data.PGHOST).toBe(stack.cnpg!.host);
    const exporter = find('Deployment', 'postgres-exporter').spec.template.spec.containers[0];
    expect(exporter.env[0].value).toBe(`${stack.cnpg!.serviceName}:${stack.cnpg!.port}/quotes?sslmode=disable`);
    expect(find('NetworkPolicy', 'postgres-cnpg').spec.podSelector).toEqual({ matchLabels: stack.cnpg!.selector });
  });

  it('an external database: no pods, so its port is open to any address and the exporter uses TLS', async () => {
    const { stack, find } = await stackOf(['postgres.mode=external', 'postgres.externalHost=db.example.com']);
    const { host, port, selector, serviceName } = stack.database;
    expect({ host, port, selector, serviceName }).toEqual({
      host: 'db.example.com',
      port: 5432,
      selector: undefined,
      serviceName: undefined,
    });
    expect(find('NetworkPolicy', 'migrate-job-egress').spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
    ]);
    expect(find('Deployment', 'postgres-exporter').spec.template.spec.containers[0].env[0].value).toBe(
      'db.example.com:5432/quotes?sslmode=require',
    );
  });

  it("Gateway API and Istio routes go to the API's Service and port", async () => {
    const { stack, find } = await stackOf(['ingress.mode=gateway', 'traffic.mesh=istio']);
    expect(find('HTTPRoute', stack.api.serviceName).spec.rules[0].backendRefs).toEqual([
      { group: '', kind: 'Service', name: stack.api.serviceName, port: stack.api.port },
    ]);
    expect(stack.routing.httpRoute).toBeDefined();
    expect(stack.routing.meshHost).toBe(`${stack.api.serviceName}.quotes-dev.svc.cluster.local`);
    expect(find('VirtualService', stack.api.serviceName).spec.http[0].route[0].destination.port).toEqual({ number: stack.api.port });
  });
});
