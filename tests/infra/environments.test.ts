import { describe, expect, it } from 'vitest';
import { CLUSTER_NAMES, getClusterFlavour } from '../../infra/clusters.js';
import { checkConfig, parseSetArguments } from '../../infra/config.js';
import { assertEnvironmentName, ENVIRONMENT_NAMES, getEnvironment } from '../../infra/environments.js';
import { imageNameSuffix, parseImageRef } from '../../infra/image.js';
import { resolveConfig, synthesize } from '../../infra/main.js';
import { repoPath } from '../helpers/quotes-fixture.js';

describe('environments', () => {
  it('dev is one small replica with debug logs; staging single; prod >= 3 with HPA', () => {
    const dev = getEnvironment('dev');
    expect(dev.namespace).toBe('quotes-dev');
    expect(dev.api.replicas).toBe(1);
    expect(dev.api.logLevel).toBe('debug');
    expect(dev.api.hpa.enabled).toBe(false);
    expect(dev.ingress.host).toBe('quotes.127.0.0.1.nip.io');

    const staging = getEnvironment('staging');
    expect(staging.api.replicas).toBe(1);
    expect(staging.ingress.host).not.toBe(dev.ingress.host);

    const prod = getEnvironment('prod');
    expect(prod.api.replicas).toBeGreaterThanOrEqual(3);
    expect(prod.api.hpa).toMatchObject({ enabled: true, minReplicas: 3 });
    expect(prod.api.logLevel).toBe('info');
    expect(new Set(ENVIRONMENT_NAMES.map((name) => getEnvironment(name).ingress.host)).size).toBe(3);
  });

  it('rejects an unknown environment with the valid names', () => {
    expect(() => assertEnvironmentName('production')).toThrow('unknown environment "production": use one of dev, staging, prod');
  });

  it('applies overrides in order and keeps untouched defaults', () => {
    const env = getEnvironment('staging', [
      { source: 'a', values: { api: { replicas: 2, resources: { limits: { cpu: '2', memory: '1Gi' } } } } },
      { source: 'b', values: { api: { replicas: 4 }, ingress: { tlsSecretName: 'quotes-tls' } } },
    ]);
    expect(env.api.replicas).toBe(4);
    expect(env.api.resources.limits).toEqual({ cpu: '2', memory: '1Gi' });
    expect(env.api.resources.requests).toEqual({ cpu: '100m', memory: '192Mi' });
    expect(env.ingress.tlsSecretName).toBe('quotes-tls');
  });

  it('names the source, key and fix for unknown keys and wrong types', () => {
    expect(() => getEnvironment('dev', [{ source: 'qctl.config.ts', values: { api: { replica: 2 } } as never }])).toThrow(
      /qctl\.config\.ts: unknown setting "api\.replica" for environment dev: valid keys here are replicas, resources/,
    );
    expect(() => getEnvironment('dev', [{ source: 'qctl.config.ts', values: { api: { replicas: 'two' } } as never }])).toThrow(
      /qctl\.config\.ts: api\.replicas for environment dev: .*number/,
    );
    expect(() => getEnvironment('dev', [{ source: 'x', values: { api: { resources: { limits: { cpu: 'lots' } } } } as never }])).toThrow(
      /api\.resources\.limits\.cpu .*Kubernetes quantity/,
    );
    expect(() => getEnvironment('dev', [{ source: 'x', values: { image: { tag: 'latest' } } }])).toThrow(/"latest" is not allowed/);
    expect(() => getEnvironment('dev', [{ source: 'x', values: { redis: { image: 'redis' } } }])).toThrow(/pin the image/);
  });

  it('checks rules across fields', () => {
    expect(() => getEnvironment('prod', [{ source: '--set', values: { api: { hpa: { minReplicas: 5, maxReplicas: 4 } } } }])).toThrow(
      /minReplicas <= maxReplicas/,
    );
    expect(() => getEnvironment('prod', [{ source: 'cfg', values: { postgres: { mode: 'external' } } }])).toThrow(
      /postgres\.externalHost .*required when postgres\.mode is "external"/,
    );
  });
});

describe('--set', () => {
  it('parses values by the type of the setting', () => {
    const layers = parseSetArguments([
      'api.replicas=2',
      'api.hpa.enabled=true',
      'api.hpa.memoryUtilization=null',
      'app.corsOrigins=https://a.example,https://b.example',
      'networkPolicy.egressPorts=443,8443',
      'ingress.host=quotes.example.com',
      'image.tag=123',
      'monitoring.retention=15d',
    ]);
    const env = getEnvironment('dev', layers);
    expect(env.api.replicas).toBe(2);
    expect(env.api.hpa.enabled).toBe(true);
    expect(env.api.hpa.memoryUtilization).toBeNull();
    expect(env.app.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(env.networkPolicy.egressPorts).toEqual([443, 8443]);
    expect(env.ingress.host).toBe('quotes.example.com');
    // A numeric-looking tag stays a string because the setting is a string.
    expect(env.image.tag).toBe('123');
    expect(env.monitoring).toEqual({ retention: '15d' });
  });

  it.each([
    ['api.replicas', /invalid --set "api.replicas": use key=value/],
    ['=3', /use key=value/],
    ['api.replica=2', /unknown setting "api.replica"; valid keys: api.replicas, api.resources/],
    ['nope=1', /unknown setting "nope"; valid keys: api, ingress/],
    ['api.replicas=two', /api.replicas expects a number/],
    ['api.hpa.enabled=yes', /api.hpa.enabled expects true or false/],
    ['api.hpa=1', /api.hpa expects a group of settings: set one of its keys, e.g. api.hpa.enabled=/],
    ['api.replicas.x=1', /"api.replicas" is a value, not a group/],
  ])('%s is a clear error', (pair, message) => {
    expect(() => parseSetArguments([pair])).toThrow(message);
  });

  it('reports schema violations with the --set that caused them', () => {
    expect(() => getEnvironment('dev', parseSetArguments(['api.logLevel=loud']))).toThrow(
      /--set api\.logLevel=loud: api\.logLevel for environment dev/,
    );
    expect(() => getEnvironment('dev', parseSetArguments(['api.replicas=0']))).toThrow(/--set api\.replicas=0: api\.replicas/);
  });
});

describe('qctl.config.ts shape', () => {
  it('accepts the documented keys and rejects others', () => {
    expect(checkConfig({ cluster: 'kind', monitoring: 'none', defaults: {}, environments: { prod: {} } }, 'cfg')).toMatchObject({
      cluster: 'kind',
    });
    expect(() => checkConfig({ clusters: 'kind' }, 'qctl.config.ts')).toThrow(/qctl\.config\.ts: unknown key "clusters"/);
    expect(() => checkConfig({ cluster: 'eks' }, 'qctl.config.ts')).toThrow(/qctl\.config\.ts: cluster/);
    expect(() => checkConfig({ environments: { qa: {} } }, 'qctl.config.ts')).toThrow(/environments/);
  });
});

describe('defaults in one place', () => {
  it('the shipped qctl.config.ts sets nothing, so infra/environments.ts alone decides', async () => {
    const { config } = await resolveConfig(repoPath('qctl.config.ts'));
    expect(config).toEqual({});
  });

  it('warns about a setting that does nothing, naming where it was set and what to change instead', async () => {
    const prod = await synthesize({ env: 'prod', config: { environments: { prod: { api: { replicas: 4 } } } }, monitoring: 'none' });
    expect(prod.ignored).toEqual([
      'api.replicas (config environments.prod) is ignored for environment prod: api.hpa.enabled is true, so the HPA sets the replica count: change api.hpa.minReplicas/maxReplicas, or set api.hpa.enabled=false',
    ]);
    const dev = await synthesize({
      env: 'dev',
      config: false,
      monitoring: 'none',
      set: [
        'api.hpa.maxReplicas=5',
        'postgres.mode=external',
        'postgres.externalHost=db.example.com',
        'postgres.storageSize=9Gi',
        'redis.enabled=false',
        'redis.image=redis:7.4',
      ],
    });
    expect(dev.ignored.map((line) => line.split(' is ignored')[0])).toEqual([
      'api.hpa.maxReplicas (--set api.hpa.maxReplicas=5)',
      'postgres.storageSize (--set postgres.storageSize=9Gi)',
      'redis.image (--set redis.image=redis:7.4)',
    ]);
  });

  it('warns about pooler and CloudNativePG settings outside their mode', async () => {
    const internal = await synthesize({
      env: 'dev',
      config: false,
      monitoring: 'none',
      set: ['postgres.pgbouncer.poolSize=5', 'postgres.cnpg.instances=2'],
    });
    expect(internal.ignored).toEqual([
      'postgres.cnpg (--set postgres.cnpg.instances=2) is ignored for environment dev: postgres.mode is not cnpg: set postgres.mode=cnpg to use it',
      'postgres.pgbouncer (--set postgres.pgbouncer.poolSize=5) is ignored for environment dev: postgres.pooler is none: set postgres.pooler=pgbouncer to use it',
    ]);
    const cnpg = await synthesize({
      env: 'dev',
      config: false,
      monitoring: 'none',
      set: ['postgres.mode=cnpg', 'postgres.image=pgvector/pgvector:0.8.0-pg16', 'postgres.cnpg.instances=2'],
    });
    expect(cnpg.ignored.map((line) => line.split(' is ignored')[0])).toEqual([
      'postgres.image (--set postgres.image=pgvector/pgvector:0.8.0-pg16)',
    ]);
  });

  it('stays quiet about the built-in values and about settings that take effect', async () => {
    for (const env of ENVIRONMENT_NAMES) expect((await synthesize({ env, config: false, monitoring: 'none' })).ignored).toEqual([]);
    const staging = await synthesize({
      env: 'staging',
      config: false,
      monitoring: 'none',
      set: ['api.replicas=2', 'api.hpa.enabled=true', 'api.hpa.minReplicas=2'],
    });
    expect(staging.ignored.map((line) => line.split(' ')[0])).toEqual(['api.replicas']);
    const prod = await synthesize({ env: 'prod', config: false, monitoring: 'none', set: ['api.hpa.minReplicas=4'] });
    expect(prod.ignored).toEqual([]);
  });
});

describe('cluster flavours', () => {
  it('picks the ingress class and pull policy per flavour', () => {
    const classes = Object.fromEntries(CLUSTER_NAMES.map((name) => [name, getClusterFlavour(name).ingressClassName]));
    expect(classes).toEqual({
      microk8s: 'public',
      kind: 'nginx',
      minikube: 'nginx',
      k3d: 'traefik',
      'docker-desktop': 'nginx',
      generic: 'nginx',
    });
    for (const name of ['microk8s', 'kind', 'minikube', 'k3d', 'docker-desktop'] as const) {
      expect(getClusterFlavour(name).imagePullPolicy).toBe('IfNotPresent');
    }
    expect(getClusterFlavour('generic').imagePullPolicy).toBe('Always');
  });

  it('rejects an unknown flavour with the valid names', () => {
    expect(() => getClusterFlavour('eks')).toThrow(
      'unknown cluster "eks": use one of microk8s, kind, minikube, k3d, docker-desktop, generic',
    );
  });
});

describe('image references', () => {
  it('accepts tags and digests, refuses untagged and latest', () => {
    expect(parseImageRef('127.0.0.1:32000/quote-api:git-3f2a1bc')).toMatchObject({
      repository: '127.0.0.1:32000/quote-api',
      tag: 'git-3f2a1bc',
    });
    expect(parseImageRef(`ghcr.io/acme/quote-api@sha256:${'a'.repeat(64)}`).digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(() => parseImageRef('127.0.0.1:32000/quote-api')).toThrow(
      /has no tag; pin it, e\.g\. 127\.0\.0\.1:32000\/quote-api:git-3f2a1bc/,
    );
    expect(() => parseImageRef('quote-api:latest')).toThrow(/"latest" is not allowed/);
    expect(() => parseImageRef('Quote API:1')).toThrow(/invalid --image "Quote API:1"/);
  });

  it('makes DNS-safe, bounded Job name suffixes that differ per tag', () => {
    expect(imageNameSuffix(parseImageRef('quote-api:Git_3F2A.dirty'))).toBe('git-3f2a-dirty');
    const long = imageNameSuffix(parseImageRef(`quote-api:${'x'.repeat(100)}`));
    const longer = imageNameSuffix(parseImageRef(`quote-api:${'x'.repeat(101)}`));
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long).not.toBe(longer);
    expect(imageNameSuffix(parseImageRef(`quote-api@sha256:${'b'.repeat(64)}`))).toBe(`sha-${'b'.repeat(12)}`);
  });
});
