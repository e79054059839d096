import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { runQctl, type RunningQctl } from '../helpers/cli.js';
import { FakeBins, microk8sStatusYaml } from '../helpers/fake-bin.js';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from '../helpers/fake-kube-api.js';

/**
 * Everything a `qctl up/down/status/diff/doctor/secrets` process needs, all at the process
 * boundary: a fake Kubernetes API with a kubeconfig, fake docker/microk8s/... on PATH, a
 * throw-away HOME (for the age identity) and a small git project as the working directory.
 */
export class DeployHarness {
  /** The fake API; absent when the harness talks to a real API server (`kubeconfig` given). */
  api!: FakeKubeApi;
  readonly bins = new FakeBins();
  readonly home = mkdtempSync(join(tmpdir(), 'qctl-home-'));
  readonly project = mkdtempSync(join(tmpdir(), 'qctl-project-'));
  kubeconfig = '';

  static async create(
    options: { contexts?: string[]; api?: FakeKubeApiOptions; registryAddon?: boolean; kubeconfig?: string } = {},
  ): Promise<DeployHarness> {
    const harness = new DeployHarness();
    if (options.kubeconfig) {
      harness.kubeconfig = options.kubeconfig;
    } else {
      harness.api = await startFakeKubeApi(options.api);
      harness.kubeconfig = harness.api.writeKubeconfig(options.contexts ?? ['microk8s']);
    }
    harness.bins.add('docker', { when: { 'image inspect': { exitCode: 1, stderr: 'Error: No such image' } } });
    const enabled = ['dns', 'hostpath-storage', 'ingress', 'metrics-server', ...(options.registryAddon === false ? [] : ['registry'])];
    harness.bins.add('microk8s', { when: { 'status --format yaml': { stdout: microk8sStatusYaml(enabled) } } });
    await harness.initProject();
    return harness;
  }

  private async initProject(): Promise<void> {
    writeFileSync(join(this.project, '.gitignore'), '.qctl/\n');
    writeFileSync(join(this.project, 'Dockerfile'), 'FROM node:22-alpine\n');
    const git = (args: string[]) =>
      execa('git', ['-c', 'user.name=qctl-test', '-c', 'user.email=test@example.invalid', ...args], { cwd: this.project });
    await git(['init', '-q']);
    await git(['add', '.']);
    await git(['commit', '-q', '-m', 'init']);
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      HOME: this.home,
      KUBECONFIG: this.kubeconfig,
      PATH: this.bins.path(),
      QCTL_POLL_MS: '20',
      QCTL_AGE_KEY: undefined,
      EDITOR: undefined,
      VISUAL: undefined,
      ...extra,
    };
  }

  run(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): RunningQctl {
    return runQctl(args, { cwd: this.project, env: this.env(options.env), input: options.input });
  }

  writeProjectFile(path: string, content: string): void {
    mkdirSync(join(this.project, path, '..'), { recursive: true });
    writeFileSync(join(this.project, path), content);
  }

  async stop(): Promise<void> {
    await this.api?.stop();
    this.bins.cleanup();
    rmSync(this.home, { recursive: true, force: true });
    rmSync(this.project, { recursive: true, force: true });
  }
}

/** stderr as lines, without blank ones. */
export function errorLines(result: Result): string[] {
  return String(result.stderr)
    .split('\n')
    .filter((l) => l.trim() !== '');
}
