import { describe, expect, it } from 'vitest';
import { buildCnpg } from '../../../infra/charts/cnpg.js';
import { ExternalDatabase, type DatabaseEndpoint } from '../../../infra/charts/database.js';
import { buildJobs } from '../../../infra/charts/jobs.js';
import { buildNetworkPolicies, type NetworkPoliciesProps } from '../../../infra/charts/network-policies.js';
import { buildPgbouncer } from '../../../infra/charts/pgbouncer.js';
import { buildPostgres } from '../../../infra/charts/postgres.js';
import { buildQuoteApi } from '../../../infra/charts/quote-api.js';
import { buildRedis } from '../../../infra/charts/redis.js';
import { BASE_SETTINGS } from '../../../infra/environments.js';
import { parseImageRef } from '../../../infra/image.js';
import type { ManifestScope } from '../../../infra/scope.js';
import { only, PROPS, synthChart } from './synth-chart.js';

/** The stack's parts the policies are wired to, built as real constructs in the same scope. */
interface Parts {
  /** @default 'internal' */
  database?: 'internal' | 'external' | 'cnpg';
  /** Port of an external database. @default 5432 */
  externalPort?: number;
  pooler?: boolean;
  /** @default true */
  redis?: boolean;
}
type Options = Omit<NetworkPoliciesProps, 'parts' | 'cnpg' | 'env' | 'namespace'> & Parts;

function build(scope: ManifestScope, { database: mode = 'internal', externalPort = 5432, pooler, redis = true, ...props }: Options): void {
  const image = parseImageRef('quote-api:1.2.3');
  const api = buildQuoteApi(scope, { ...PROPS, image, configHash: 'abc' });
  const jobs = buildJobs(scope, { ...PROPS, image });
  const cnpg =
    mode === 'cnpg' ? buildCnpg(scope, { ...PROPS, ...(pooler ? { pooler: BASE_SETTINGS.postgres.pgbouncer } : {}) }) : undefined;
  const database: DatabaseEndpoint =
    cnpg ?? (mode === 'internal' ? buildPostgres(scope, PROPS)! : new ExternalDatabase('db.example.com', externalPort));
  const poolerPart =
    cnpg?.pooler ?? (pooler ? buildPgbouncer(scope, { ...PROPS, serverHost: database.host, port: database.port }) : undefined);
  buildNetworkPolicies(scope, {
    ...PROPS,
    ...props,
    parts: {
      api,
      migrate: jobs.migrate,
      seed: jobs.seed,
      database,
      pooler: poolerPart,
      redis: redis ? buildRedis(scope, PROPS) : undefined,
    },
    ...(cnpg ? { cnpg: { operatorNamespace: 'cnpg-system', statusPort: cnpg.statusPort } } : {}),
  });
}

const policies = (options: Options) => synthChart((scope) => build(scope, options), '15-network-policies.yaml')[0]!;
const names = (options: Options) => policies(options).map((o) => o.metadata.name);

describe('buildNetworkPolicies', () => {
  it('by default: deny all, then one policy per path, all in phase config', () => {
    const objects = policies({});
    expect(objects.map((o) => o.metadata.name)).toEqual([
      'default-deny',
      'allow-dns',
      'quote-api-ingress',
      'quote-api-egress',
      'migrate-job-egress',
      'seed-job-egress',
      'postgres-ingress',
      'redis-ingress',
      'allow-monitoring-scrape',
    ]);
    expect(objects.every((o) => o.metadata.annotations?.['qctl.dev/phase'] === 'config')).toBe(true);
    expect(only(objects, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // Documented defaults: any namespace may reach http (controller unknown), scrapes from `monitoring`, egress 443.
    expect(only(objects, 'NetworkPolicy', 'quote-api-ingress').spec.ingress).toEqual([
      { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 'http' }] },
    ]);
    const scrape = only(objects, 'NetworkPolicy', 'allow-monitoring-scrape').spec.ingress[0];
    expect(scrape.from[0].namespaceSelector.matchExpressions[0].values).toEqual(['monitoring']);
    expect(only(objects, 'NetworkPolicy', 'quote-api-egress').spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
  });

  it('follows the databases that run, the controller and monitoring namespaces, the ports', () => {
    expect(names({ database: 'external', redis: false })).not.toEqual(expect.arrayContaining(['postgres-ingress']));
    expect(names({ redis: false })).not.toContain('redis-ingress');
    const objects = policies({
      database: 'external',
      externalPort: 6432,
      ingressControllerNamespaces: ['ingress'],
      monitoringNamespaces: ['obs', 'monitoring-dev'],
      egressPorts: [],
    });
    expect(only(objects, 'NetworkPolicy', 'migrate-job-egress').spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 6432 }] },
    ]);
    expect(
      only(objects, 'NetworkPolicy', 'quote-api-ingress').spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values,
    ).toEqual(['ingress']);
    expect(
      only(objects, 'NetworkPolicy', 'allow-monitoring-scrape').spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values,
    ).toEqual(['monitoring-dev', 'obs']);
    expect(JSON.stringify(only(objects, 'NetworkPolicy', 'seed-job-egress').spec.egress)).not.toContain('443');
  });

  it('per exposure mode: the controller namespaces, any source for a NodePort, no http path at all for none', () => {
    const ingressRule = (options: Options) =>
      (policies(options).find((o) => o.metadata.name === 'quote-api-ingress') as { spec: { ingress: unknown[] } } | undefined)?.spec
        .ingress;
    expect(ingressRule({ exposure: 'gateway', ingressControllerNamespaces: ['gateway-system'] })).toEqual([
      {
        from: [
          { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['gateway-system'] }] } },
        ],
        ports: [{ protocol: 'TCP', port: 'http' }],
      },
    ]);
    expect(ingressRule({ exposure: 'nodeport', ingressControllerNamespaces: ['ingress'] })).toEqual([
      { ports: [{ protocol: 'TCP', port: 'http' }] },
    ]);
    expect(ingressRule({ exposure: 'none' })).toBeUndefined();
    // Scrapes still reach the API whatever the exposure.
    expect(names({ exposure: 'none' })).toContain('allow-monitoring-scrape');
  });

  it('with Istio: the API pods may reach istiod for their sidecars', () => {
    expect(names({})).not.toContain('quote-api-mesh');
    const mesh = only(policies({ istio: true }), 'NetworkPolicy', 'quote-api-mesh');
    expect(mesh.spec.podSelector.matchLabels['app.kubernetes.io/name']).toBe('quote-api');
    expect(mesh.spec.egress).toEqual([
      {
        to: [
          { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['istio-system'] }] } },
        ],
        ports: [{ protocol: 'TCP', port: 15012 }],
      },
    ]);
  });
});

describe('buildNetworkPolicies with a pooler or CloudNativePG', () => {
  const api = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'quote-api', 'app.kubernetes.io/instance': 'quotes-dev' } } };
  const tcp = (port: number | string) => ({ protocol: 'TCP', port });

  it('pgbouncer: the API reaches only the pooler (6432), the pooler and the Jobs reach Postgres', () => {
    const objects = policies({ pooler: true });
    const pooler = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'pgbouncer', 'app.kubernetes.io/instance': 'quotes-dev' } } };
    const postgres = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'quotes-dev' } } };
    expect(only(objects, 'NetworkPolicy', 'quote-api-egress').spec.egress[0]).toEqual({ to: [pooler], ports: [tcp(6432)] });
    expect(only(objects, 'NetworkPolicy', 'pooler').spec).toMatchObject({
      podSelector: pooler.podSelector,
      ingress: [{ from: [api], ports: [tcp(6432)] }],
      egress: [{ to: [postgres], ports: [tcp(5432)] }],
    });
    const admitted = only(objects, 'NetworkPolicy', 'postgres-ingress').spec.ingress[0].from;
    expect(admitted).toContainEqual(pooler);
    expect(admitted).not.toContainEqual(api);
    expect(only(objects, 'NetworkPolicy', 'migrate-job-egress').spec.egress).toEqual([{ to: [postgres], ports: [tcp(5432)] }]);
  });

  it('cnpg: the instances admit the clients, each other and the operator, and reach the kube API; the Pooler likewise', () => {
    const objects = policies({ database: 'cnpg', pooler: true });
    const instances = { podSelector: { matchLabels: { 'cnpg.io/cluster': 'postgres' } } };
    const pooler = { podSelector: { matchLabels: { 'cnpg.io/poolerName': 'postgres-pooler-rw' } } };
    expect(names({ database: 'cnpg' })).not.toContain('postgres-ingress');
    const cluster = only(objects, 'NetworkPolicy', 'postgres-cnpg').spec;
    expect(cluster.podSelector).toEqual(instances.podSelector);
    expect(cluster.ingress[0].from).toContainEqual(pooler);
    expect(cluster.ingress).toContainEqual({ from: [instances], ports: [tcp(5432), tcp(8000)] });
    expect(cluster.ingress[3].from[0].namespaceSelector.matchExpressions[0].values).toEqual(['cnpg-system']);
    expect(cluster.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [tcp(443), tcp(6443)] });
    expect(only(objects, 'NetworkPolicy', 'quote-api-egress').spec.egress[0]).toEqual({ to: [pooler], ports: [tcp(5432)] });
    expect(only(objects, 'NetworkPolicy', 'pooler').spec.egress[0]).toEqual({ to: [instances], ports: [tcp(5432)] });
    expect(only(objects, 'NetworkPolicy', 'seed-job-egress').spec.egress[0]).toEqual({ to: [instances], ports: [tcp(5432)] });
  });
});
