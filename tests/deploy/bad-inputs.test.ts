import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { armor, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { DeployHarness, errorLines } from './harness.js';

let harness: DeployHarness;
let teamKey: string;

async function encryptFor(key: string, plaintext: string): Promise<string> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(await identityToRecipient(key));
  return armor.encode(await encrypter.encrypt(plaintext));
}

beforeAll(async () => {
  harness = await DeployHarness.create();
  teamKey = await generateX25519Identity();
  harness.writeProjectFile('secrets/recipients.txt', `${await identityToRecipient(teamKey)}\n`);
  harness.writeProjectFile('secrets/staging.env.age', await encryptFor(teamKey, 'OPENAI_API_KEY=sk-test\n'));
  harness.writeProjectFile('secrets/prod.env.age', await encryptFor(teamKey, 'OPENAI_API_KEY sk-test\n'));
});

afterAll(async () => {
  await harness.stop();
});

async function expectUsageError(args: string[], message: RegExp, env: Record<string, string | undefined> = {}): Promise<void> {
  harness.api.requests.length = 0;
  harness.bins.clearCalls();
  const result = await harness.run(args, { env });
  expect(result.exitCode).toBe(2);
  const lines = errorLines(result);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^qctl: /);
  expect(lines[0]).toMatch(message);
  expect(harness.api.mutations()).toEqual([]);
  expect(harness.bins.calls('docker').filter((c) => c.args[0] === 'build' || c.args[0] === 'push')).toEqual([]);
}

describe('qctl up: bad input is one clear line, exit 2, nothing applied', () => {
  it('unknown cluster', () =>
    expectUsageError(
      ['up', '--cluster', 'openshift'],
      /unknown cluster "openshift": use --cluster microk8s\|kind\|minikube\|k3d\|docker-desktop\|generic/,
    ));

  it('unknown environment', () => expectUsageError(['up', '--env', 'qa'], /unknown environment "qa": use one of dev, staging, prod/));

  it('context not in the kubeconfig', () =>
    expectUsageError(['up', '--context', 'nope'], /context "nope" is not in kubeconfig .* \(it has: microk8s\): pick one with --context/));

  it('invalid --timeout', () => expectUsageError(['up', '--timeout', 'soon'], /invalid --timeout "soon"/));

  it('API unreachable', async () => {
    const port = await freePort();
    const kubeconfig = harness.api.writeKubeconfig(['microk8s'], { server: `http://127.0.0.1:${port}` });
    await expectUsageError(
      ['up'],
      new RegExp(
        `cannot reach the Kubernetes API at http://127.0.0.1:${port} \\(context microk8s\\): connection refused; start the cluster \\(microk8s start\\)`,
      ),
      {
        KUBECONFIG: kubeconfig,
      },
    );
  });

  it('age key missing', () =>
    expectUsageError(
      ['up', '--env', 'staging'],
      /no age key to decrypt secrets\/staging\.env\.age: set QCTL_AGE_KEY or create .*age\.txt/,
    ));

  it('age key wrong', async () => {
    const otherKey = await generateX25519Identity();
    await expectUsageError(
      ['up', '--env', 'staging'],
      /cannot decrypt secrets\/staging\.env\.age with the age key from QCTL_AGE_KEY: it is not one of the file's recipients/,
      {
        QCTL_AGE_KEY: otherKey,
      },
    );
  });

  it('malformed env file inside the age file', () =>
    expectUsageError(['up', '--env', 'prod'], /secrets\/prod\.env\.age line 1: expected KEY=VALUE, got "OPENAI_API_KEY sk-test"/, {
      QCTL_AGE_KEY: teamKey,
    }));

  it('malformed plain .env on import', async () => {
    writeFileSync(join(harness.project, 'bad.env'), 'GOOD=1\n2BAD=x\n');
    await expectUsageError(['secrets', 'import', 'bad.env', '--env', 'staging'], /bad\.env line 2: invalid key "2BAD"/, {
      QCTL_AGE_KEY: teamKey,
    });
  });

  it('generic cluster without --registry', () =>
    expectUsageError(['up', '--cluster', 'generic'], /--cluster generic needs --registry HOST/));

  it('no container builder on PATH', async () => {
    // Only node and git on PATH: neither the fake docker nor a real docker/podman/nerdctl that
    // this machine may have in /usr/bin or /usr/local/bin.
    await expectUsageError(['up'], /no container builder found: install docker, podman or nerdctl, or pass --image REF/, {
      PATH: harness.bins.toolsOnlyPath(['node', 'git']),
    });
  });
});
