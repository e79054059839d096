import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { DeployHarness, errorLines } from './harness.js';

// Which image builder `up` and `doctor` use: a docker client without a daemon must not shadow a
// working podman, and --builder forces one. The builders are fake executables on PATH.
let harness: DeployHarness;
let deadKubeconfig = '';

const DOCKER_DOWN = {
  when: {
    info: { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' },
  },
};

beforeAll(async () => {
  harness = await DeployHarness.create();
  deadKubeconfig = harness.api.writeKubeconfig(['microk8s'], { server: `http://127.0.0.1:${await freePort()}` });
});

afterAll(async () => {
  await harness.stop();
});

type Doctor = { checks: { name: string; ok: boolean; detail: string; fix?: string }[] };
const builderCheck = (stdout: unknown) => (JSON.parse(String(stdout)) as Doctor).checks.find((c) => c.name === 'container builder')!;

describe('choosing the image builder', () => {
  it('skips a docker without a daemon for a working podman, and says why', async () => {
    harness.bins.add('docker', DOCKER_DOWN).add('podman');
    const plan = await harness.run(['up', '--dry-run'], { env: { KUBECONFIG: deadKubeconfig } });
    expect(plan.exitCode, String(plan.stderr)).toBe(0);
    expect(String(plan.stdout)).toMatch(/would run: podman build -t 127\.0\.0\.1:32000\/quote-api:/);
    expect(String(plan.stdout)).not.toMatch(/would run: docker build/);

    const doctor = await harness.run(['doctor', '--output', 'json']);
    const check = builderCheck(doctor.stdout);
    expect(check.ok).toBe(true);
    expect(check.detail).toMatch(/^podman \(docker is installed but `docker info` failed: Cannot connect to the Docker daemon/);
  });

  it('--builder forces one: doctor then checks that one and names its fix', async () => {
    harness.bins.add('docker', DOCKER_DOWN).add('podman');
    const doctor = await harness.run(['doctor', '--builder', 'docker', '--output', 'json']);
    const check = builderCheck(doctor.stdout);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/docker \(chosen with --builder\)|docker info/);
    expect(check.fix).toMatch(/docker/);
    expect(doctor.exitCode).toBe(1);
  });

  it('up refuses, before any cluster or build, when no installed builder works', async () => {
    harness.bins.add('docker', DOCKER_DOWN).add('podman', { when: { info: { exitCode: 125, stderr: 'Error: cannot connect to Podman' } } });
    const up = await harness.run(['up'], { env: { KUBECONFIG: deadKubeconfig } });
    expect(up.exitCode).toBe(2);
    const lines = errorLines(up);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /no working container builder: docker is installed but `docker info` failed: .*; podman is installed but `podman info` failed: Error: cannot connect to Podman; start its engine, or pass --builder NAME/,
    );
    expect(harness.bins.calls('docker').filter((c) => c.args[0] === 'build')).toEqual([]);
  });

  it('refuses an unknown builder and one that is not installed', async () => {
    harness.bins.add('docker');
    const unknown = await harness.run(['up', '--builder', 'buildah'], { env: { KUBECONFIG: deadKubeconfig } });
    expect(unknown.exitCode).toBe(2);
    expect(errorLines(unknown)[0]).toMatch(/--builder buildah is not a builder qctl knows: use docker, podman, nerdctl/);
    const missing = await harness.run(['up', '--builder', 'nerdctl'], { env: { KUBECONFIG: deadKubeconfig } });
    expect(missing.exitCode).toBe(2);
    expect(errorLines(missing)[0]).toMatch(/--builder nerdctl: nerdctl is not on PATH; install it or choose another --builder/);
  });
});
