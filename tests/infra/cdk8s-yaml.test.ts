import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_NAMES } from '../../infra/environments.js';
import { repoPath } from '../helpers/quotes-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'qctl-cdk8s-yaml-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('cdk8s.yaml (for `cdk8s synth` with the cdk8s CLI)', () => {
  const config = parse(readFileSync(repoPath('cdk8s.yaml'), 'utf8')) as { app: string; output?: string };

  it('gives the CLI an output folder of its own: the CLI empties it, and dist/ holds qctl synth folders', () => {
    // Without `output` the CLI uses dist/ itself and deletes dist/<env>/, dist/nodeport/, ...
    const output = normalize(config.output ?? 'dist');
    expect(output).toMatch(/^dist\/[^/]+$/);
    const folder = output.split('/')[1]!;
    expect([...ENVIRONMENT_NAMES] as string[]).not.toContain(folder);
  });

  it(
    'runs its app the way the CLI does (CDK8S_OUTDIR = output): every environment lands inside output, nothing beside it',
    { timeout: 300_000 },
    async () => {
      const dist = join(root, 'dist');
      // What a qctl user has in dist/ already.
      for (const other of ['dev', 'nodeport', 'gateway']) {
        mkdirSync(join(dist, other), { recursive: true });
        writeFileSync(join(dist, other, '00-namespace.yaml'), 'kept\n');
      }
      const output = join(root, config.output!);
      // The CLI's own first step.
      rmSync(output, { recursive: true, force: true });
      const result = await execa('sh', ['-c', config.app], {
        cwd: repoPath(),
        env: { CDK8S_OUTDIR: output, QCTL_ENV: 'dev' },
        reject: false,
      });
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(readdirSync(output)).toEqual(['dev']);
      expect(existsSync(join(output, 'dev', '00-namespace.yaml'))).toBe(true);
      for (const other of ['dev', 'nodeport', 'gateway'])
        expect(readFileSync(join(dist, other, '00-namespace.yaml'), 'utf8')).toBe('kept\n');
    },
  );
});
