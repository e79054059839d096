import { beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../infra/main.js';
import { formatIssue, validateObjects } from '../../infra/validate.js';

// A fresh cache directory per test: an object that passed once is not checked again.
beforeEach(() => {
  process.env.QCTL_CACHE_DIR = mkdtempSync(join(tmpdir(), 'qctl-crd-cache-'));
});

const meta = (name: string) => ({ name, namespace: 'quotes-dev' });

function httpRoute(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta('quote-api'), spec } as KubeObject;
}

const weightedRoute = {
  parentRefs: [{ name: 'shared-gateway', namespace: 'gateway-system' }],
  hostnames: ['quotes.example.com'],
  rules: [
    {
      matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      backendRefs: [
        { name: 'quote-api', port: 80, weight: 80 },
        { name: 'quote-api-canary', port: 80, weight: 20 },
      ],
      timeouts: { request: '10s' },
    },
  ],
};

const cnpgCluster = {
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Cluster',
  metadata: meta('quotes-db'),
  spec: {
    instances: 3,
    imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
    storage: { size: '10Gi' },
    postgresql: { parameters: { max_connections: '200' } },
    bootstrap: { initdb: { database: 'quotes', owner: 'quotes' } },
  },
};

const errors = (objects: KubeObject[]) => validateObjects(objects).filter((issue) => issue.severity === 'error');

describe('custom resources are checked against the real CRDs bundled in infra/crds', () => {
  it('accepts a weighted HTTPRoute, an Istio VirtualService and a CloudNativePG Cluster', () => {
    const virtualService = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: meta('quote-api'),
      spec: {
        hosts: ['quote-api'],
        http: [
          {
            route: [
              { destination: { host: 'quote-api', subset: 'stable' }, weight: 80 },
              { destination: { host: 'quote-api', subset: 'canary' }, weight: 20 },
            ],
            retries: { attempts: 3, perTryTimeout: '2s' },
          },
        ],
      },
    };
    const objects = [httpRoute(weightedRoute), virtualService, cnpgCluster] as KubeObject[];
    expect(validateObjects(objects).map(formatIssue)).toEqual([]);
  });

  it('reports a wrong type, an enum miss and a missing required field with their paths', () => {
    const bad = structuredClone(weightedRoute) as any;
    bad.rules[0].backendRefs[0].weight = 'eighty';
    bad.rules[0].matches[0].path.type = 'Prefix';
    delete bad.rules[0].backendRefs[1].name;
    const paths = errors([httpRoute(bad)]).map((issue) => issue.path);
    expect(paths).toContain('spec.rules[0].backendRefs[0].weight');
    expect(paths).toContain('spec.rules[0].matches[0].path.type');
    expect(paths).toContain('spec.rules[0].backendRefs[1].name');
  });

  it('reports a field the CRD does not define, naming the known ones', () => {
    const cluster = structuredClone(cnpgCluster) as any;
    cluster.spec.replicas = 3;
    const issues = errors([cluster]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ rule: 'unknown-field', path: 'spec.replicas' });
    expect(issues[0]!.fix).toContain('instances');
  });

  it('keeps free-form maps free: any key under postgresql.parameters passes', () => {
    const cluster = structuredClone(cnpgCluster) as any;
    cluster.spec.postgresql.parameters = { shared_buffers: '256MB', 'pg_stat_statements.max': '1000' };
    expect(errors([cluster])).toEqual([]);
  });

  it('names the served versions when the apiVersion is one the CRD does not serve', () => {
    const route = { ...httpRoute(weightedRoute), apiVersion: 'gateway.networking.k8s.io/v9' } as KubeObject;
    const issues = errors([route]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'apiVersion' });
    expect(issues[0]!.fix).toContain('gateway.networking.k8s.io/v1');
  });

  it('still only warns for a custom resource with no bundled CRD', () => {
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta('w'), spec: {} } as KubeObject;
    const issues = validateObjects([unknown]);
    expect(issues.map((issue) => issue.severity)).toEqual(['warning']);
  });
});
