import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl as runQctlRaw } from '../helpers/cli.js';
import { repoPath } from '../helpers/quotes-fixture.js';

const tmp = mkdtempSync(join(tmpdir(), 'qctl-synth-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const IMAGE = '127.0.0.1:32000/quote-api:git-3f2a1bc';

async function runQctl(
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const result = await runQctlRaw(args, options);
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('qctl synth', () => {
  it('writes ordered files for every environment, prints the object table, and --output json', async () => {
    const out = join(tmp, 'all');
    const result = await runQctl([
      'synth',
      '--all',
      '--image',
      IMAGE,
      '--monitoring',
      'none',
      '--config',
      repoPath('qctl.config.ts'),
      '--out',
      out,
    ]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    for (const env of ['dev', 'staging', 'prod']) {
      const files = readdirSync(join(out, env));
      expect(files[0]).toBe('00-namespace.yaml');
      expect(files).toContain('40-quote-api.yaml');
    }
    expect(result.stdout).toMatch(/^00-namespace\.yaml\s+Namespace\s+-\s+quotes-prod$/m);
    expect(result.stdout).toMatch(/^\s+HorizontalPodAutoscaler\s+quotes-prod\s+quote-api$/m);
    expect(result.stdout).toMatch(/28 objects in 9 files; validation: 0 error\(s\), 0 warning\(s\)/);

    const json = await runQctl([
      'synth',
      '--env',
      'staging',
      '--cluster',
      'kind',
      '--monitoring',
      'none',
      '--out',
      join(tmp, 'json'),
      '--output',
      'json',
    ]);
    expect(json.exitCode).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(true);
    expect(report.environments[0]).toMatchObject({
      env: 'staging',
      cluster: 'kind',
      namespace: 'quotes-staging',
      dir: join(tmp, 'json', 'staging'),
      issues: [],
    });
    expect(report.environments[0].files[0]).toEqual({
      name: '00-namespace.yaml',
      objects: [{ apiVersion: 'v1', kind: 'Namespace', namespace: null, name: 'quotes-staging' }],
    });
  });

  it.each([
    [['--env', 'qa'], 'qctl: unknown environment "qa": use one of dev, staging, prod'],
    [['--cluster', 'eks'], 'qctl: unknown cluster "eks": use one of microk8s, kind, minikube, k3d, docker-desktop, generic'],
    [['--set', 'api.replicaz=3'], 'qctl: invalid --set "api.replicaz=3": unknown setting "api.replicaz"; valid keys: api.replicas'],
    [['--set', 'api.replicas=many'], 'qctl: invalid --set "api.replicas=many": api.replicas expects a number'],
    [['--image', 'quote-api:latest'], 'qctl: invalid --image "quote-api:latest": the tag "latest" is not allowed'],
    [['--image', 'quote-api'], 'qctl: invalid --image "quote-api": the image has no tag'],
    [['--env', 'dev', '--all'], 'qctl: --env and --all exclude each other'],
  ])('%j is a one-line usage error (exit 2) and writes nothing', async (args, message) => {
    const out = join(tmp, `bad-${args.join('_').replace(/[^a-z0-9]/gi, '')}`);
    const result = await runQctl(['synth', ...args, '--out', out]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('warns once on stderr about a setting that does nothing, and still writes', async () => {
    const out = join(tmp, 'ignored');
    const result = await runQctl([
      'synth',
      '--env',
      'prod',
      '--image',
      IMAGE,
      '--monitoring',
      'none',
      '--set',
      'api.replicas=4',
      '--out',
      out,
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe(
      'qctl: warning: api.replicas (--set api.replicas=4) is ignored for environment prod: api.hpa.enabled is true, so the HPA sets the replica count: change api.hpa.minReplicas/maxReplicas, or set api.hpa.enabled=false\n',
    );
    expect(readdirSync(join(out, 'prod'))).toContain('40-quote-api.yaml');
  });

  it('--out - prints every object as one YAML stream on stdout (the same objects as the files), notes on stderr', async () => {
    const cwd = join(tmp, 'stream');
    mkdirSync(cwd);
    const args = ['synth', '--env', 'dev', '--image', IMAGE, '--monitoring', 'none', '--config', repoPath('qctl.config.ts')];
    const [stream] = await Promise.all([runQctl([...args, '--out', '-'], { cwd }), runQctl([...args, '--out', join(tmp, 'stream-files')])]);
    expect(stream.exitCode).toBe(0);
    expect(stream.stderr).toMatch(/^\d+ objects in \d+ files; validation: 0 error\(s\), 0 warning\(s\)\n$/);
    expect(readdirSync(cwd)).toEqual([]);
    const { parseAllDocuments } = await import('yaml');
    const streamed = parseAllDocuments(stream.stdout).map((d) => d.toJS());
    const dir = join(tmp, 'stream-files', 'dev');
    const written = readdirSync(dir).flatMap((name) => parseAllDocuments(readFileSync(join(dir, name), 'utf8')).map((d) => d.toJS()));
    expect(streamed.length).toBeGreaterThan(20);
    expect(streamed).toEqual(written);
    expect(stream.stdout).toMatch(/^---\n# Source: 00-namespace\.yaml\napiVersion: v1\nkind: Namespace\n/);
  });

  it.each([
    [['--all'], /^qctl: --out - prints one environment .*: use --env ENV --out -/],
    [['--env', 'dev', '--output', 'json'], /^qctl: --out - puts the YAML on stdout, where --output json would go too: drop --output json/],
  ])('--out - with %j is a one-line usage error', async (args, message) => {
    const result = await runQctl(['synth', ...args, '--out', '-'], { cwd: tmp });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(tmp, '-'))).toBe(false);
  });

  it('--out onto an existing file is a one-line usage error that leaves the file alone', async () => {
    const file = join(tmp, 'notes.txt');
    writeFileSync(file, 'keep me\n');
    const result = await runQctl(['synth', '--env', 'dev', '--out', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      `qctl: --out ${file} is a file, not a directory: pass a directory (files go to ${file}/<env>/) or --out - for standard output\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it.each([
    [
      ['--env', 'dev', '--set', 'api.resources.requests.memory=1Gi', '--set', 'api.resources.limits.memory=256Mi'],
      'Deployment quotes-dev/quote-api: spec.template.spec.containers[0].resources.requests.memory: container "quote-api" requests memory 1Gi, above its limit 256Mi',
    ],
    [
      ['--env', 'prod', '--set', 'postgres.resources.requests.cpu=2', '--set', 'postgres.resources.limits.cpu=500m'],
      'StatefulSet quotes-prod/postgres: spec.template.spec.containers[0].resources.requests.cpu: container "postgres" requests cpu 2, above its limit 500m',
    ],
  ])('%j fails validation like the API server would (exit 1, nothing written or printed)', async (args, finding) => {
    const out = join(tmp, `limits-${args[1]}`);
    const [files, stream] = await Promise.all([
      runQctl(['synth', ...args, '--out', out]),
      runQctl(['synth', ...args, '--out', '-'], { cwd: tmp }),
    ]);
    expect(files.exitCode).toBe(1);
    expect(files.stdout).toContain(finding);
    expect(files.stdout).toMatch(/validation: 1 error\(s\)/);
    expect(existsSync(out)).toBe(false);
    expect(stream.exitCode).toBe(1);
    expect(stream.stdout).toBe('');
    expect(stream.stderr).toContain(finding);
    expect(stream.stderr).toMatch(/qctl: validation failed: nothing was printed; fix the errors above\n$/);
  });

  it('reads qctl.config.ts from the working directory and reports its errors', async () => {
    const project = join(tmp, 'project');
    mkdirSync(project);
    const configPath = join(project, 'qctl.config.ts');
    writeFileSync(
      configPath,
      `export default { cluster: 'k3d', environments: { dev: { api: { replicas: 2 }, ingress: { host: 'quotes.test' } } } };\n`,
    );
    const ok = await runQctl(['synth', '--monitoring', 'none', '--output', 'json'], { cwd: project });
    expect(ok.exitCode).toBe(0);
    const report = JSON.parse(ok.stdout).environments[0];
    expect(report.cluster).toBe('k3d');
    const api = readFileSync(join(project, 'dist', 'dev', '40-quote-api.yaml'), 'utf8');
    expect(api).toContain('host: quotes.test');
    expect(api).toContain('ingressClassName: traefik');
    expect(api).toMatch(/replicas: 2/);

    writeFileSync(configPath, `export default { environments: { dev: { api: { replicas: '2' } } } };\n`);
    const bad = await runQctl(['synth'], { cwd: project });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^qctl: qctl\.config\.ts environments\.dev: api\.replicas for environment dev: .*number/);
  });
});

describe('qctl validate', () => {
  it('passes synthesized output and fails a broken file with file, object, path and fix', async () => {
    const out = join(tmp, 'validate');
    expect((await runQctl(['synth', '--env', 'prod', '--out', out])).exitCode).toBe(0);
    const good = await runQctl(['validate', join(out, 'prod')]);
    expect(good.exitCode).toBe(0);
    expect(good.stdout).toMatch(/objects in \d+ files: 0 error\(s\), 0 warning\(s\)/);

    const file = join(tmp, 'broken.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, namespace: demo}',
        'spec:',
        '  replicas: 2',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec:',
        '      containers:',
        '        - name: web',
        '          image: nginx',
        '          imagePullPolicyy: Always',
        '',
      ].join('\n'),
    );
    const bad = await runQctl(['validate', file, '--output', 'json']);
    expect(bad.exitCode).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.ok).toBe(false);
    const rules = report.issues.map((i: { rule: string }) => i.rule);
    expect(rules).toEqual(
      expect.arrayContaining(['unknown-field', 'image-pinned', 'container-resources', 'container-probes', 'network-policy-coverage']),
    );
    const text = await runQctl(['validate', file]);
    expect(text.stdout).toContain(
      `${file}: Deployment demo/web: spec.template.spec.containers[0].imagePullPolicyy: unknown field "imagePullPolicyy"`,
    );
  });

  it('a missing path is a usage error', async () => {
    const result = await runQctl(['validate', join(tmp, 'nope')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/nope does not exist: pass a YAML file or a directory/);
  });
});

describe('cdk8s synth entry (cdk8s.yaml)', () => {
  it('runs the app command from cdk8s.yaml into $CDK8S_OUTDIR/<env>/ with the same objects as qctl synth', async () => {
    const cdk8sYaml = readFileSync(repoPath('cdk8s.yaml'), 'utf8');
    const app = /^app:\s*(.+)$/m.exec(cdk8sYaml)![1]!.trim();
    expect(app).toBe('npx tsx infra/main.ts');
    const outdir = join(tmp, 'cdk8s');
    // What `cdk8s synth` does: run the app with CDK8S_OUTDIR set (npx resolved to the local tsx).
    const run = await execa('node', [repoPath('node_modules/tsx/dist/cli.mjs'), 'infra/main.ts'], {
      cwd: repoPath(),
      env: { CDK8S_OUTDIR: outdir, QCTL_ENV: 'staging' },
      reject: false,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const files = readdirSync(join(outdir, 'staging'));
    expect(files[0]).toBe('00-namespace.yaml');
    const qctlOut = join(tmp, 'qctl-for-cdk8s');
    await runQctl(['synth', '--env', 'staging', '--out', qctlOut]);
    expect(files).toEqual(readdirSync(join(qctlOut, 'staging')));
    const { parseAllDocuments } = await import('yaml');
    for (const name of files) {
      const load = (dir: string) => parseAllDocuments(readFileSync(join(dir, name), 'utf8')).map((d) => d.toJS());
      expect(load(join(outdir, 'staging')), name).toEqual(load(join(qctlOut, 'staging')));
    }
  });
});
