import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { DeployHarness, errorLines } from './harness.js';

/** No cluster answers (the kubeconfig points at a closed port): what can be checked offline must be. */
let harness: DeployHarness;
let deadKubeconfig = '';

beforeAll(async () => {
  harness = await DeployHarness.create();
  deadKubeconfig = harness.api.writeKubeconfig(['microk8s'], { server: `http://127.0.0.1:${await freePort()}` });
});

afterAll(async () => {
  await harness.stop();
});

const offline = (args: string[]) => harness.run(args, { env: { KUBECONFIG: deadKubeconfig } });

describe('bad flags are reported before the cluster is contacted', () => {
  it.each([
    [['up', '--set', 'api.replicas=-1'], /api\.replicas/],
    [['up', '--set', 'nope.x=1'], /nope/],
    [['up', '--image', 'bad ref!!'], /--image/],
    [['up', '--monitoring', 'nope'], /unknown --monitoring "nope"/],
    [['up', '--timeout', '0'], /invalid --timeout "0": it must be greater than zero/],
    [['diff', '--set', 'api.replicas=-1'], /api\.replicas/],
    [['diff', '--image', 'bad ref!!'], /--image/],
    [['diff', '--monitoring', 'nope'], /unknown --monitoring "nope"/],
    [['down', '--output', 'yaml'], /unknown --output "yaml"/],
  ])('qctl %j', async (args, message) => {
    const result = await offline(args);
    expect(result.exitCode).toBe(2);
    const lines = errorLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).not.toMatch(/cannot reach the Kubernetes API/);
  });

  it('and with good flags the unreachable cluster is what is reported', async () => {
    const result = await offline(['diff']);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result)).toEqual([
      expect.stringMatching(/^qctl: cannot reach the Kubernetes API at .*: connection refused; start the cluster \(microk8s start\)/),
    ]);
  });
});

describe('qctl up --dry-run without a cluster', () => {
  it('prints the plan offline: phases, objects, images, build and ship commands, and what needs a cluster', async () => {
    const result = await offline(['up', '--dry-run']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const out = String(result.stdout);
    expect(out).toMatch(/offline plan, no cluster reached/);
    expect(out).toMatch(/would run: docker build -t 127\.0\.0\.1:32000\/quote-api:[0-9a-f]{12} -f Dockerfile \./);
    expect(out).toMatch(/would run: docker push 127\.0\.0\.1:32000\/quote-api:/);
    expect(out).toMatch(/1\. Namespaces and CRDs\n\s+Namespace quotes-dev/);
    expect(out).toMatch(/Quote API \(wait: Deployment quote-api\)/);
    expect(out).toMatch(/images:\n( {2}\S+\n)* {2}127\.0\.0\.1:32000\/quote-api:/);
    expect(out).toMatch(/needs a cluster/);
    expect(harness.bins.calls('docker').filter((c) => c.args[0] === 'build' || c.args[0] === 'push')).toEqual([]);
  });

  it('up and diff warn once on stderr about a setting that does nothing', async () => {
    const warning = 'qctl: warning: api.replicas (--set api.replicas=4) is ignored for environment prod';
    const up = await offline(['up', '--dry-run', '--env', 'prod', '--set', 'api.replicas=4']);
    expect(up.exitCode).toBe(0);
    expect(
      String(up.stderr)
        .split('\n')
        .filter((line) => line.startsWith(warning)),
    ).toHaveLength(1);
    const diff = await offline(['diff', '--env', 'prod', '--set', 'api.replicas=4']);
    expect(
      String(diff.stderr)
        .split('\n')
        .filter((line) => line.startsWith(warning)),
    ).toHaveLength(1);
  });

  it('--output json gives the same plan as a document', async () => {
    const result = await offline(['up', '--dry-run', '--output', 'json', '--image', 'registry.example/quote-api:1.2.3']);
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(String(result.stdout)) as {
      ok: boolean;
      offline: boolean;
      images: string[];
      build: string[];
      plan: { step: string; objects: string[] }[];
      needsCluster: string[];
    };
    expect(doc).toMatchObject({ ok: true, offline: true, build: [] });
    expect(doc.images).toContain('registry.example/quote-api:1.2.3');
    expect(doc.plan.map((s) => s.step)).toEqual(expect.arrayContaining(['Namespaces and CRDs', 'Quote API', 'Seed (first install)']));
    expect(doc.needsCluster.length).toBeGreaterThan(0);
  });
});
