import { afterAll, beforeAll, expect, it } from 'vitest';
import { DeployHarness } from '../deploy/harness.js';
import { CNPG_KINDS, GATEWAY_API_KINDS, ISTIO_KINDS, startFakeKubeApi, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { describeRealKube, RealKube } from './real-kube.js';

/**
 * The fake Kubernetes API (tests/helpers/fake-kube-api.ts, which most deploy tests use for speed)
 * against a real kube-apiserver: one scenario script runs through the real qctl against each, and
 * both must see the same answers: what every `up` reports per object, the exit codes, the objects
 * (count per kind) and which objects a command wrote (resourceVersion moved). The recorded
 * comparison (tests/deploy/fake-kube-contract.test.ts) checks the answer shapes request by request
 * without a server; this one keeps the fake honest against the live one.
 */
const REPO = 'registry.example/quote-api';
const BASE = ['--monitoring', 'none'];

type Server = { kubeconfig: string; versions(env: string): Promise<Map<string, string>> };
type Step = {
  step: string;
  exit: number | undefined;
  reported?: string[];
  wrote?: string[];
  objects?: Record<string, number>;
  error?: string;
};
type UpJson = { objects: { kind: string; namespace?: string; name: string; action: string }[] };

function countByKind(versions: Map<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of [...versions.keys()].sort()) counts[key.split(' ')[0]!] = (counts[key.split(' ')[0]!] ?? 0) + 1;
  return counts;
}

const moved = (before: Map<string, string>, after: Map<string, string>) =>
  [...after]
    .filter(([key, version]) => before.get(key) !== version)
    .map(([key]) => key)
    .sort();

/** One qctl command against one server: its exit code, what it reported and what it wrote. */
async function runStep(harness: DeployHarness, server: Server, args: string[]): Promise<Step> {
  const before = await server.versions('dev');
  const result = await harness.run(args);
  const after = await server.versions('dev');
  const json = args.includes('json') ? (JSON.parse(String(result.stdout)) as UpJson) : undefined;
  return {
    step: args.join(' '),
    exit: result.exitCode,
    reported: json?.objects.map((o) => `${o.kind} ${o.namespace ?? ''}/${o.name}: ${o.action}`).sort(),
    wrote: moved(before, after),
    objects: countByKind(after),
    error: String(result.stderr),
  };
}

/** The fake as the deploy tests use it, dressed as the microk8s look-alike the real instance is. */
async function fakeServer(): Promise<{ server: Server; api: FakeKubeApi }> {
  const api = await startFakeKubeApi({ kubelet: true, kinds: [...GATEWAY_API_KINDS, ...ISTIO_KINDS, ...CNPG_KINDS] });
  api.put({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'public' },
    spec: { controller: 'k8s.io/ingress-nginx' },
  });
  api.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'microk8s-hostpath' },
    provisioner: 'microk8s.io/hostpath',
  } as never);
  const server: Server = {
    kubeconfig: api.writeKubeconfig(['microk8s']),
    versions: async (env) =>
      new Map(
        api
          .list()
          .filter((o) => o.metadata.labels?.['qctl.dev/env'] === env && !['Pod', 'ReplicaSet', 'Event', 'Node'].includes(o.kind))
          .map((o) => [`${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`, String(o.metadata.resourceVersion)]),
      ),
  };
  return { server, api };
}

let kube: RealKube;
let fake: FakeKubeApi;
let servers: { harness: DeployHarness; server: Server }[];

/** The same command against the real server and the fake, side by side; their answers must agree. */
async function both(args: string[]): Promise<Step> {
  const [real, faked] = await Promise.all(servers.map(({ harness, server }) => runStep(harness, server, args)));
  expect(faked).toEqual(real);
  return real!;
}

describeRealKube('the fake Kubernetes API answers a qctl scenario like the real API server', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    kube = await RealKube.start();
    const made = await fakeServer();
    fake = made.api;
    const real: Server = { kubeconfig: kube.kubeconfig, versions: (env) => kube.versions(env) };
    servers = await Promise.all(
      [real, made.server].map(async (server) => ({ server, harness: await DeployHarness.create({ kubeconfig: server.kubeconfig }) })),
    );
  }, 420_000);
  afterAll(async () => {
    await Promise.all((servers ?? []).map((s) => s.harness.stop()));
    await fake?.stop();
    await kube?.stop();
  });

  it('first up: every object created, the same objects', async () => {
    const step = await both(['up', '--image', `${REPO}:1.0.0`, ...BASE, '--output', 'json']);
    expect(step.exit).toBe(0);
    expect(step.reported!.every((r) => /: (created|skipped)$/.test(r))).toBe(true);
  });

  it('second up: nothing reported changed, nothing written', async () => {
    const step = await both(['up', '--image', `${REPO}:1.0.0`, ...BASE, '--output', 'json']);
    expect(step.exit).toBe(0);
    expect(step.wrote).toEqual([]);
  });

  it('diff --exit-code: clean', async () => {
    expect((await both(['diff', '--exit-code', '--image', `${REPO}:1.0.0`, ...BASE])).exit).toBe(0);
  });

  it('a new image: the same objects configured, replaced and written', async () => {
    const step = await both(['up', '--image', `${REPO}:2.0.0`, ...BASE, '--output', 'json']);
    expect(step.exit).toBe(0);
    expect(step.reported).toContain(`Deployment quotes-dev/quote-api: configured`);
  });

  it('an up refused by its preflight (Gateway namespace missing): the same error, nothing written', async () => {
    const step = await both([
      'up',
      '--image',
      `${REPO}:3.0.0`,
      ...BASE,
      '--set',
      'ingress.mode=gateway',
      '--set',
      'ingress.gateway.create=true',
      '--set',
      'ingress.gateway.className=istio',
      '--set',
      'ingress.gateway.namespace=edge',
    ]);
    expect(step.exit).toBe(2);
    expect(step.wrote).toEqual([]);
  });

  it('down: the same objects left', async () => {
    const step = await both(['down', '--yes']);
    expect(step.exit).toBe(0);
  });
});
