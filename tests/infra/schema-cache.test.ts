import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'qctl-schema-cache-'));
const cacheDir = join(tmp, 'cache');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const validate = (path: string) => runQctl(['validate', path, '--output', 'json'], { env: { QCTL_CACHE_DIR: cacheDir } });
const passedRecord = (): string[] => {
  const files = readdirSync(cacheDir).filter((name) => /^schema-passed-[0-9a-f]{16}\.json$/.test(name));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(cacheDir, files[0]!), 'utf8')) as string[];
};

describe('the record of objects that passed the schema check', () => {
  it('keeps clean objects between runs, never one with an issue, and reports the same either way', async () => {
    const out = join(tmp, 'dist');
    expect((await runQctl(['synth', '--env', 'dev', '--out', out], { env: { QCTL_CACHE_DIR: cacheDir } })).exitCode).toBe(0);
    const kept = passedRecord();
    expect(kept.length).toBeGreaterThan(20);

    const clean = await validate(join(out, 'dev'));
    expect(clean.exitCode).toBe(0);
    expect(passedRecord()).toEqual(kept);

    // An unknown field is a schema issue: reported on every run, never recorded as passed.
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: demo}\ndataa: {a: b}\n');
    for (let run = 0; run < 2; run += 1) {
      const broken = await validate(file);
      expect(broken.exitCode).toBe(1);
      expect(JSON.parse(String(broken.stdout)).issues).toEqual(
        expect.arrayContaining([expect.objectContaining({ rule: 'unknown-field', path: 'dataa' })]),
      );
    }
    expect(passedRecord()).toEqual(kept);
  });
});
