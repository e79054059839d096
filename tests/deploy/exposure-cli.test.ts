import { afterEach, describe, expect, it } from 'vitest';
import { CNPG_KINDS, GATEWAY_API_KINDS, ISTIO_KINDS } from '../helpers/fake-kube-api.js';
import { DeployHarness, errorLines } from './harness.js';

/** `qctl up` per exposure mode: what its preflight refuses or warns about, and the URL it prints. */
let harness: DeployHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const up = (h: DeployHarness, ...set: string[]) =>
  h.run(['up', '--cluster', 'microk8s', '--env', 'dev', '--timeout', '10s', '--monitoring', 'none', ...set.flatMap((s) => ['--set', s])]);

describe('qctl up: exposure modes against a fake cluster', () => {
  it('gateway mode on a cluster without the Gateway API: exit 2, one line naming the install command, nothing applied', async () => {
    harness = await DeployHarness.create();
    const result = await up(harness, 'ingress.mode=gateway');
    expect(result.exitCode).toBe(2);
    const lines = errorLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/the cluster does not serve HTTPRoute \(gateway\.networking\.k8s\.io\/v1\)/);
    expect(lines[0]).toContain(
      'kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.3.0/standard-install.yaml',
    );
    expect(harness.api.applies()).toEqual([]);
  });

  it('gateway mode with the Gateway API: applies the HTTPRoute, warns about the missing Gateway, prints the host URL', async () => {
    harness = await DeployHarness.create({ api: { kinds: GATEWAY_API_KINDS } });
    const result = await up(harness, 'ingress.mode=gateway', 'ingress.gateway.name=shared', 'ingress.gateway.namespace=edge');
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const route = harness.api.get('HTTPRoute', 'quotes-dev', 'quote-api')!;
    expect((route.spec as { parentRefs: unknown[] }).parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'edge' },
    ]);
    expect(harness.api.get('Ingress', 'quotes-dev', 'quote-api')).toBeUndefined();
    expect(result.stdout).toMatch(
      /warning: Gateway edge\/shared is not in the cluster, so HTTPRoute quote-api serves nothing: .*ingress\.gateway\.create=true/,
    );
    expect(result.stdout).toMatch(/quote-api +http:\/\/quotes\.127\.0\.0\.1\.nip\.io\//);

    // With the Gateway present the warning goes; a Gateway qctl creates is checked for its class instead.
    harness.api.put({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'shared', namespace: 'edge' } });
    const again = await up(harness, 'ingress.mode=gateway', 'ingress.gateway.name=shared', 'ingress.gateway.namespace=edge');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toMatch(/warning: Gateway/);
    // A Gateway to create in a namespace nobody made: refused before anything is applied.
    const mutations = harness.api.mutations().length;
    const nowhere = await up(
      harness,
      'ingress.mode=gateway',
      'ingress.gateway.create=true',
      'ingress.gateway.className=eg',
      'ingress.gateway.namespace=gw',
    );
    expect(nowhere.exitCode).toBe(2);
    expect(errorLines(nowhere)).toEqual([
      'qctl: namespace gw of Gateway quotes does not exist: create it (kubectl create namespace gw) or set ingress.gateway.namespace=null to create the Gateway beside the API',
    ]);
    expect(harness.api.mutations()).toHaveLength(mutations);
    const created = await up(harness, 'ingress.mode=gateway', 'ingress.gateway.create=true', 'ingress.gateway.className=eg');
    expect(created.exitCode).toBe(0);
    expect(harness.api.get('Gateway', 'quotes-dev', 'quotes')).toBeDefined();
    expect(created.stdout).toMatch(/warning: GatewayClass "eg" of Gateway quotes-dev\/quotes is not in the cluster \(it has none\)/);
  }, 120_000);

  it('Istio routing on a cluster without Istio: exit 2 naming the addon', async () => {
    harness = await DeployHarness.create();
    const result = await up(harness, 'traffic.mesh=istio');
    expect(result.exitCode).toBe(2);
    expect(errorLines(result)).toEqual([
      expect.stringMatching(
        /does not serve (VirtualService|DestinationRule) \(networking\.istio\.io\/v1\).*microk8s enable istio.*traffic\.mesh=none/,
      ),
    ]);
    expect(harness.api.applies()).toEqual([]);
  });

  it('Istio served: the VirtualService and DestinationRule are applied with the canary', async () => {
    harness = await DeployHarness.create({ api: { kinds: ISTIO_KINDS } });
    const result = await up(harness, 'traffic.mesh=istio', 'canary.tag=git-canary1', 'canary.weight=10');
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const http = (harness.api.get('VirtualService', 'quotes-dev', 'quote-api')!.spec as { http: { route: { weight: number }[] }[] })
      .http[0]!;
    expect(http.route.map((r) => r.weight)).toEqual([90, 10]);
    expect(harness.api.get('DestinationRule', 'quotes-dev', 'quote-api')).toBeDefined();
    expect(harness.api.get('Deployment', 'quotes-dev', 'quote-api-canary')).toBeDefined();
  }, 60_000);

  it('nodeport mode: a port another Service holds is refused before anything is applied, with a free one to use', async () => {
    harness = await DeployHarness.create();
    harness.api.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    for (const [name, nodePort] of [
      ['holder', 30080],
      ['first', 30000],
    ] as const) {
      harness.api.put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'other' },
        spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, nodePort }] },
      });
    }
    const result = await up(harness, 'ingress.mode=nodeport');
    expect(result.exitCode).toBe(2);
    expect(errorLines(result)).toEqual([
      'qctl: node port 30080 of Service quotes-dev/quote-api is taken by Service other/holder: set ingress.nodePort to a free port of 30000-32767, e.g. --set ingress.nodePort=30001',
    ]);
    expect(harness.api.applies()).toEqual([]);
  });

  it('nodeport mode: prints http://<node address>:<port>/, and a later up keeps its own port', async () => {
    harness = await DeployHarness.create();
    harness.api.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: {
        addresses: [
          { type: 'Hostname', address: 'node-1' },
          { type: 'InternalIP', address: '10.1.2.3' },
        ],
      },
    });
    const result = await up(harness, 'ingress.mode=nodeport');
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toMatch(/quote-api +http:\/\/10\.1\.2\.3:30080\//);
    const service = harness.api.get('Service', 'quotes-dev', 'quote-api')!;
    expect(service.spec).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30080 }] });
    // Its own Service holds 30080 now: not a conflict.
    const again = await up(harness, 'ingress.mode=nodeport');
    expect(again.exitCode, String(again.stderr)).toBe(0);
  }, 60_000);

  it('a second up with every new kind and option on (gateway, Istio, canary, CloudNativePG + Pooler, replica sidecar) writes nothing', async () => {
    harness = await DeployHarness.create({ api: { kinds: [...GATEWAY_API_KINDS, ...ISTIO_KINDS, ...CNPG_KINDS] } });
    const settings = [
      'ingress.mode=gateway',
      'traffic.mesh=istio',
      'canary.tag=git-canary1',
      'canary.weight=20',
      'postgres.mode=cnpg',
      'postgres.pooler=pgbouncer',
      'redis.readReplicaSidecar=true',
    ];
    const first = await up(harness, ...settings);
    expect(first.exitCode, String(first.stderr)).toBe(0);
    for (const [kind, name] of [
      ['HTTPRoute', 'quote-api'],
      ['VirtualService', 'quote-api'],
      ['Cluster', 'postgres'],
      ['Deployment', 'quote-api-canary'],
    ]) {
      expect(harness.api.get(kind!, 'quotes-dev', name!), `${kind} ${name}`).toBeDefined();
    }
    harness.bins.add('docker', {}); // the image exists now: no rebuild
    harness.api.requests.length = 0;
    const second = await up(harness, ...settings);
    expect(second.exitCode, String(second.stderr)).toBe(0);
    expect(harness.api.mutations()).toEqual([]);
  }, 90_000);
});
