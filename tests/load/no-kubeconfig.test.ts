import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

const home = mkdtempSync(join(tmpdir(), 'qctl-no-kubeconfig-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The load flags that talk to the cluster, as a newcomer types them. */
const commands = async (): Promise<[string, string[]][]> => [
  ['--watch-hpa', ['load', `http://127.0.0.1:${await freePort()}/`, '--env', 'dev', '--watch-hpa', '--rate', '1', '--duration', '1s']],
  ['--port-forward', ['load', '--env', 'dev', '--port-forward', '--rate', '1', '--duration', '1s']],
  ['--in-cluster', ['load', '--env', 'dev', '--in-cluster', '--rate', '1', '--duration', '1s']],
];

function expectOneCleanLine(stderr: string, message: RegExp): void {
  // The in-cluster run announces itself first ("qctl load: ..."); the failure is one "qctl: " line.
  const lines = stderr.split('\n').filter((line) => line.startsWith('qctl: '));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(stderr).not.toMatch(/skipTLSVerify|\n\s+at /);
}

describe('qctl load against no usable cluster: one line like up and status, never the client error', () => {
  it('without a kubeconfig', { timeout: 300_000 }, async () => {
    const runs = (await commands()).map(
      async ([flag, args]) =>
        [flag, await runQctl(args, { cwd: home, env: { HOME: home, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined } })] as const,
    );
    for (const [flag, result] of await Promise.all(runs)) {
      expect(result.exitCode, flag).toBe(2);
      expectOneCleanLine(
        String(result.stderr),
        /^qctl: no kubeconfig found at .*\/\.kube\/config: start the cluster \(microk8s start\) or set KUBECONFIG$/,
      );
    }
  });

  it('with a kubeconfig whose API server does not answer', { timeout: 300_000 }, async () => {
    const kubeconfig = join(home, 'kubeconfig');
    const port = await freePort();
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}"}}]\n` +
        `users: [{name: u, user: {token: t}}]\ncontexts: [{name: gone, context: {cluster: c, user: u}}]\ncurrent-context: gone\n`,
    );
    const runs = (await commands()).map(
      async ([flag, args]) => [flag, await runQctl(args, { cwd: home, env: { HOME: home, KUBECONFIG: kubeconfig } })] as const,
    );
    for (const [flag, result] of await Promise.all(runs)) {
      expect(result.exitCode, flag).toBe(2);
      expectOneCleanLine(
        String(result.stderr),
        new RegExp(
          `^qctl: cannot reach the Kubernetes API at https://127\\.0\\.0\\.1:${port} \\(context gone\\): connection refused; start the cluster`,
        ),
      );
    }
  });
});
