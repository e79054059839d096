import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';
import { FakeBins, microk8sStatusYaml } from '../helpers/fake-bin.js';
import { repoPath } from '../helpers/quotes-fixture.js';

/**
 * The cdk8s-plus-28 extension (tests/fixtures/extensions/worker.ts) on a real kube-apiserver
 * with its controllers: applied, waited for, shown by status, pruned when removed. Self-contained
 * (starts its own instance through QCTL_TEST_KUBE_ASSETS) so that it can join tests/kube-real.
 */
const assets = process.env.QCTL_TEST_KUBE_ASSETS;
const IMAGE = 'registry.example/quote-api:1.0.0';
const dir = mkdtempSync(join(tmpdir(), 'qctl-kube-ext-'));
const project = mkdtempSync(join(tmpdir(), 'qctl-project-'));
const bins = new FakeBins();
let kubeconfig = '';

const qctl = (args: string[]) =>
  runQctl(args, { cwd: project, env: { KUBECONFIG: kubeconfig, HOME: project, PATH: bins.path(), QCTL_AGE_KEY: undefined } });
const status = async () =>
  JSON.parse(String((await qctl(['status', '--output', 'json'])).stdout)) as {
    workloads: { name: string; ready: number }[];
    cronJobs: { name: string }[];
  };

beforeAll(() => {
  if (!assets) return;
  const out = execFileSync(join(assets, 'start'), ['--dir', join(dir, 'kube'), '--microk8s'], { encoding: 'utf8' });
  kubeconfig = /KUBECONFIG=(\S+)/.exec(out)![1]!;
  bins.add('docker', { when: { 'image inspect': { exitCode: 1, stderr: 'Error: No such image' } } });
  bins.add('microk8s', {
    when: { 'status --format yaml': { stdout: microk8sStatusYaml(['dns', 'hostpath-storage', 'ingress', 'registry']) } },
  });
  writeFileSync(join(project, 'Dockerfile'), 'FROM node:22-alpine\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: project });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  writeFileSync(
    join(project, 'qctl.config.ts'),
    `export default { extensions: ${JSON.stringify(repoPath('tests/fixtures/extensions/worker.ts'))} };\n`,
  );
}, 180_000);

afterAll(() => {
  if (assets) execFileSync(join(assets, 'stop'), ['--dir', join(dir, 'kube'), '--wipe']);
  bins.cleanup();
  rmSync(project, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!assets)('a cdk8s-plus-28 extension on a real API server', () => {
  it('is applied and waited for, shown by status, and pruned when removed', async () => {
    const up = await qctl(['up', '--image', IMAGE]);
    expect(up.exitCode, String(up.stderr)).toBe(0);
    expect(String(up.stdout)).toMatch(/Deployment quotes-dev\/worker: ready/);
    const deployed = await status();
    expect(deployed.workloads).toContainEqual(expect.objectContaining({ name: 'worker', ready: 1 }));
    expect(deployed.cronJobs.map((c) => c.name)).toContain('nightly-reseed');

    writeFileSync(join(project, 'qctl.config.ts'), 'export default {};\n');
    const again = await qctl(['up', '--image', IMAGE]);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    const pruned = await status();
    expect(pruned.workloads.map((w) => w.name)).not.toContain('worker');
    expect(pruned.cronJobs).toEqual([]);
  }, 600_000);
});
