import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microk8sStatusYaml } from '../helpers/fake-bin.js';
import { DeployHarness } from './harness.js';

let harness: DeployHarness;

beforeAll(async () => {
  harness = await DeployHarness.create();
});

afterAll(async () => {
  await harness.stop();
});

type Doctor = { ok: boolean; checks: { name: string; ok: boolean; detail: string; fix?: string }[] };

describe('qctl doctor', () => {
  it('fails with the exact fix for each gap: addons and a missing ingress class', async () => {
    harness.bins.add('microk8s', { when: { 'status --format yaml': { stdout: microk8sStatusYaml(['dns', 'ingress']) } } });
    const result = await harness.run(['doctor', '--cluster', 'microk8s']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('FAIL microk8s addon registry: disabled\n     fix: microk8s enable registry');
    expect(result.stdout).toContain('fix: microk8s enable hostpath-storage');
    expect(result.stdout).toContain('fix: microk8s enable metrics-server');
    expect(result.stdout).toMatch(/FAIL ingress class: "public" not found .*\n\s+fix: microk8s enable ingress/);
    expect(result.stdout).toMatch(/ok\s+Kubernetes API: context microk8s at http:\/\/127\.0\.0\.1:\d+ \(v1\.31\.0-fake\)/);
  });

  it('passes when everything is in place', async () => {
    harness.bins.add('microk8s', {
      when: {
        'status --format yaml': { stdout: microk8sStatusYaml(['dns', 'hostpath-storage', 'registry', 'ingress', 'metrics-server']) },
      },
    });
    harness.api.put({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'public' },
      spec: { controller: 'k8s.io/ingress-nginx' },
    });
    const result = await harness.run(['doctor', '--output', 'json']);
    const report = JSON.parse(String(result.stdout)) as Doctor;
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['container builder', 'microk8s CLI', 'microk8s addon registry', 'Kubernetes API', 'ingress class']),
    );
  });

  it('names the missing cluster CLI and the install command', async () => {
    const result = await harness.run(['doctor', '--cluster', 'kind', '--output', 'json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(String(result.stdout)) as Doctor;
    expect(report.checks).toContainEqual(
      expect.objectContaining({ name: 'kind CLI', ok: false, fix: expect.stringContaining('kind.sigs.k8s.io') }),
    );
    expect(report.checks).toContainEqual(
      expect.objectContaining({ name: 'Kubernetes API', ok: false, detail: expect.stringContaining('no kubeconfig context for kind') }),
    );
  });

  it('uses `microk8s config` when the kubeconfig has no microk8s context', async () => {
    harness.bins.add('microk8s', {
      when: {
        config: { stdout: readFileSync(harness.kubeconfig, 'utf8') },
        'status --format yaml': { stdout: microk8sStatusYaml(['dns', 'hostpath-storage', 'registry', 'ingress', 'metrics-server']) },
      },
    });
    harness.bins.clearCalls();
    const result = await harness.run(['status', '--cluster', 'microk8s', '--output', 'json'], {
      env: { KUBECONFIG: join(harness.home, 'no-such-kubeconfig') },
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(harness.bins.calls('microk8s').map((c) => c.args)).toContainEqual(['config']);
    expect(JSON.parse(String(result.stdout))).toMatchObject({ namespace: 'quotes-dev', context: 'microk8s' });
  });

  it('fails when the docker client is on PATH but no daemon answers, with the fix for that', async () => {
    harness.bins.add('docker', {
      when: {
        info: {
          exitCode: 1,
          stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
        },
      },
    });
    const result = await harness.run(['doctor', '--output', 'json']);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(String(result.stdout)) as Doctor;
    expect(report.checks.find((c) => c.name === 'container builder')).toEqual({
      name: 'container builder',
      ok: false,
      detail: expect.stringContaining('docker is installed but `docker info` failed: Cannot connect to the Docker daemon'),
      fix: expect.stringContaining('start the Docker daemon'),
    });
    expect(harness.bins.calls('docker').map((c) => c.args)).toContainEqual(['info']);
  });

  it('a docker socket we may not use is fixed by group membership, not by starting docker', async () => {
    harness.bins.add('docker', {
      when: {
        info: {
          exitCode: 1,
          stderr: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n',
        },
      },
    });
    const report = JSON.parse(String((await harness.run(['doctor', '--output', 'json'])).stdout)) as Doctor;
    expect(report.checks.find((c) => c.name === 'container builder')?.fix).toMatch(/usermod -aG docker/);
    harness.bins.add('docker', {});
  });

  it('microk8s not installed is paired with its install command, never with "microk8s start"', async () => {
    rmSync(join(harness.bins.dir, 'microk8s'));
    const result = await harness.run(['doctor', '--cluster', 'microk8s', '--output', 'json'], {
      env: { KUBECONFIG: join(harness.home, 'no-such-kubeconfig') },
    });
    harness.bins.add('microk8s', {
      when: {
        'status --format yaml': { stdout: microk8sStatusYaml(['dns', 'hostpath-storage', 'registry', 'ingress', 'metrics-server']) },
      },
    });
    const report = JSON.parse(String(result.stdout)) as Doctor;
    const api = report.checks.find((c) => c.name === 'Kubernetes API')!;
    expect(api).toMatchObject({
      ok: false,
      detail: expect.stringContaining('microk8s is not installed'),
      fix: 'sudo snap install microk8s --classic',
    });
    for (const check of report.checks.filter((c) => /not installed|not on PATH/.test(c.detail)))
      expect(check.fix).not.toMatch(/microk8s start/);
  });
});
