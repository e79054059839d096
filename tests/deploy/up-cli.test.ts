import { afterEach, describe, expect, it } from 'vitest';
import { DeployHarness } from './harness.js';

let harness: DeployHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

type UpSummary = {
  ok: boolean;
  image: string;
  objects: { kind: string; name: string; action: string }[];
  generatedSecrets: { name: string; action: string }[];
  urls: { name: string; url: string }[];
  portForward: { name: string; command: string }[];
};

const apiImage = (h: DeployHarness) =>
  (h.api.get('Deployment', 'quotes-dev', 'quote-api')!.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
    .containers[0]!.image;

describe('qctl up (real CLI, fake cluster and fake docker/microk8s)', () => {
  it('builds a content-addressed image, pushes it to the microk8s registry at 127.0.0.1:32000, applies and prints URLs', async () => {
    harness = await DeployHarness.create();
    const result = await harness.run(['up', '--cluster', 'microk8s', '--env', 'dev', '--timeout', '10s']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const docker = harness.bins.calls('docker').map((c) => c.args);
    const build = docker.find((args) => args[0] === 'build')!;
    const ref = build[build.indexOf('-t') + 1]!;
    expect(ref).toMatch(/^127\.0\.0\.1:32000\/quote-api:[0-9a-f]{12}$/);
    expect(docker).toContainEqual(['push', ref]);
    expect(apiImage(harness)).toBe(ref);
    expect(harness.api.applies().every((r) => r.query.fieldManager === 'qctl')).toBe(true);
    expect(result.stdout).toContain('http://quotes.127.0.0.1.nip.io/');
    expect(result.stdout).toContain('microk8s kubectl -n quotes-dev port-forward svc/quote-api 8080:');
    expect(result.stdout).toMatch(/> Quote API\n/);
    expect(harness.api.get('Secret', 'quotes-dev', 'quote-api-secrets')).toBeDefined();
  });

  it('a second up with no change reports every object unchanged and reuses the generated passwords', async () => {
    harness = await DeployHarness.create();
    const first = await harness.run(['up', '--cluster', 'microk8s', '--output', 'json']);
    expect(first.exitCode).toBe(0);
    const firstSummary = JSON.parse(String(first.stdout)) as UpSummary;
    expect(firstSummary.generatedSecrets.map((g) => g.name)).toEqual(expect.arrayContaining(['postgres-credentials', 'redis-credentials']));
    expect(new Set(firstSummary.generatedSecrets.map((g) => g.action))).toEqual(new Set(['created']));
    const password = (harness.api.get('Secret', 'quotes-dev', 'postgres-credentials')!.data as Record<string, string>).password;
    harness.bins.clearCalls();
    harness.bins.add('docker', {}); // the image now exists: `docker image inspect` succeeds
    harness.api.requests.length = 0;

    const second = await harness.run(['up', '--cluster', 'microk8s', '--output', 'json']);
    expect(second.exitCode).toBe(0);
    // A no-op up writes nothing at all (the fake, like a real server, would count a re-sent empty list as a write).
    expect(harness.api.mutations()).toEqual([]);
    const summary = JSON.parse(String(second.stdout)) as UpSummary;
    expect(summary.image).toBe(firstSummary.image);
    const isSeedJob = (o: { kind: string; name: string }) => o.kind === 'Job' && /seed/.test(o.name);
    const actions = new Set(summary.objects.filter((o) => !isSeedJob(o)).map((o) => o.action));
    expect([...actions]).toEqual(['unchanged']);
    expect(summary.objects.find(isSeedJob)?.action).toBe('skipped');
    expect(summary.generatedSecrets.length).toBe(firstSummary.generatedSecrets.length);
    expect(new Set(summary.generatedSecrets.map((g) => g.action))).toEqual(new Set(['reused']));
    expect((harness.api.get('Secret', 'quotes-dev', 'postgres-credentials')!.data as Record<string, string>).password).toBe(password);
    // No rebuild for a tag that already exists, no re-push of what the cluster already runs.
    // 'info' is the builder probe (read-only); the image exists, so nothing is built or pushed.
    expect(harness.bins.calls('docker').map((c) => c.args[0])).toEqual(['info', 'image']);
    // `diff --exit-code` agrees, and the text output says why nothing happened.
    const diff = await harness.run(['diff', '--exit-code']);
    expect(diff.exitCode, String(diff.stdout)).toBe(0);
    const third = await harness.run(['up', '--cluster', 'microk8s']);
    expect(third.stdout).toMatch(/ok Quote API/);
    expect(third.stdout).toMatch(/Deployment quotes-dev\/quote-api: ready \(unchanged\)/);
    expect(third.stdout).toMatch(/\d+ unchanged, 1 skipped in /);
    // Five CLI runs: more time than the default on a loaded machine.
  }, 180_000);

  it('imports with `microk8s ctr image import` when the registry addon is off', async () => {
    harness = await DeployHarness.create({ registryAddon: false });
    const result = await harness.run(['up', '--cluster', 'microk8s']);
    expect(result.exitCode).toBe(0);
    const save = harness.bins.calls('docker').find((c) => c.args[0] === 'save')!.args;
    expect(save.slice(0, 2)).toEqual(['save', '-o']);
    const imported = harness.bins.calls('microk8s').find((c) => c.args[0] === 'ctr')!.args;
    expect(imported.slice(0, 3)).toEqual(['ctr', 'image', 'import']);
    expect(imported[3]).toBe(save[2]);
    expect(harness.bins.calls('docker').map((c) => c.args[0])).not.toContain('push');
  });

  it('loads the image into kind with `kind load docker-image` and uses the kind context', async () => {
    harness = await DeployHarness.create({ contexts: ['other', 'kind-dev'] });
    harness.bins.add('kind');
    const result = await harness.run(['up', '--cluster', 'kind']);
    expect(result.exitCode).toBe(0);
    const load = harness.bins.calls('kind')[0]!.args;
    expect(load.slice(0, 2)).toEqual(['load', 'docker-image']);
    expect(load[2]).toMatch(/^quote-api:[0-9a-f]{12}$/);
    expect(load.slice(3)).toEqual(['--name', 'dev']);
    expect(result.stdout).toContain('context kind-dev');
  });
});
