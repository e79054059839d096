import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';
import { REPO_ROOT, repoPath } from '../helpers/quotes-fixture.js';
import { extractDocs } from './examples.js';
import { execa } from 'execa';

/**
 * The TypeScript examples of docs/manifests.md run as written: the cdk8s-plus-28 extension
 * (MinIO + nightly re-seed) through `qctl synth`, and a user's own cdk8s app built from
 * QuoteApi and Postgres through tsx. They run in a project that sees this repository's infra/
 * and node_modules/ (symlinks), as they would at the repository root.
 */
const { files } = extractDocs(REPO_ROOT);
const example = (name: string) => {
  const file = files.find((f) => f.name === name);
  if (!file) throw new Error(`docs no longer have the ${name} example`);
  return file.content;
};
const project = mkdtempSync(join(tmpdir(), 'qctl-doc-ext-'));
symlinkSync(repoPath('infra'), join(project, 'infra'));
symlinkSync(repoPath('node_modules'), join(project, 'node_modules'));
writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('docs/manifests.md TypeScript examples', () => {
  it('the MinIO + nightly re-seed extension synthesizes, validates, and lands in its phases', async () => {
    writeFileSync(join(project, 'qctl.extensions.ts'), example('examples/qctl.extensions.ts'));
    const out = join(project, 'dist');
    const result = await runQctl(['synth', '--env', 'dev', '--out', out], { cwd: project });
    expect(result.exitCode, String(result.stdout) + String(result.stderr)).toBe(0);
    const objects = parseAllDocuments(readFileSync(join(out, 'dev', '50-extensions.yaml'), 'utf8')).map((d) => d.toJS());
    const phase = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && o.metadata.name === name)?.metadata.annotations['qctl.dev/phase'];
    expect(phase('StatefulSet', 'minio')).toBe('data');
    expect(phase('Service', 'minio-service')).toBe('data');
    expect(phase('CronJob', 'reseed-nightly')).toBe('api');
    const cron = objects.find((o) => o.kind === 'CronJob');
    const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD']);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const policies = readFileSync(join(out, 'dev', '15-network-policies.yaml'), 'utf8');
    expect(policies).toContain('name: quote-api-to-minio-ingress');
  }, 120_000);

  it("a user's own cdk8s app builds a different stack from QuoteApi and Postgres", async () => {
    writeFileSync(join(project, 'my-stack.ts'), example('examples/my-stack.ts'));
    await execa('node', ['--import', 'tsx', 'my-stack.ts'], { cwd: project });
    const web = parseAllDocuments(readFileSync(join(project, 'dist', 'web.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    const data = parseAllDocuments(readFileSync(join(project, 'dist', 'data.k8s.yaml'), 'utf8')).map((d) => d.toJS());
    expect(data.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Service/postgres-headless',
      'Service/postgres',
      'StatefulSet/postgres',
      'ConfigMap/quote-api-config',
    ]);
    expect(data.find((o) => o.kind === 'ConfigMap').data.PGHOST).toBe('postgres.quotes-lab.svc.cluster.local');
    const deployment = web.find((o) => o.kind === 'Deployment');
    expect(deployment.metadata).toMatchObject({ name: 'quote-api', namespace: 'quotes-lab' });
    expect(deployment.spec.template.metadata.annotations['qctl.dev/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    const env = deployment.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    expect(env).toContain('PGPASSWORD');
    expect(env).not.toContain('REDIS_URL');
  }, 120_000);
});
