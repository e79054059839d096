import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { apiConfigData, appConfigPropsFrom } from '../../infra/charts/app-config.js';
import { parseSetArguments } from '../../infra/config.js';
import { ENVIRONMENT_NAMES, getEnvironment } from '../../infra/environments.js';
import { runQctl } from '../helpers/cli.js';

/**
 * Settings that become the app's environment (the ConfigMap) are judged at synth time by the
 * app's own rules (app/config.ts): a value the pods would refuse at start is refused before
 * anything is written, naming the setting, the value (escaped) and the fix.
 */
const dir = mkdtempSync(join(tmpdir(), 'qctl-app-settings-'));
afterAll(() => execFileSync('rm', ['-rf', dir]));

const refused = (pair: string) => () => getEnvironment('dev', parseSetArguments([pair]));

describe('app settings are judged by the app at synth time', () => {
  it.each([
    ['app.corsOrigins=not-an-origin', 'CORS_ORIGINS: "not-an-origin" is not an origin'],
    ['app.corsOrigins=https://ok.example,https://x.example/path', '"https://x.example/path" is not an origin'],
    ['app.cacheTtlSeconds=0', 'CACHE_TTL_SECONDS: must be a whole number from 1 to 604800'],
    ['app.embeddingModel=text\nembedding', 'EMBEDDING_MODEL: must be one line without control characters'],
    ['app.openaiBaseUrl=https://api.example/\nv1', 'OPENAI_BASE_URL: must be one line'],
    ['app.openaiBaseUrl=ftp://files.example', 'OPENAI_BASE_URL: must be a http(s) URL'],
    ['app.embeddingModel=a\u001b]0;pwned\u0007b', 'EMBEDDING_MODEL: must be one line'],
  ])('--set %j is refused naming the setting and the variable', (pair, problem) => {
    const setting = pair.slice(0, pair.indexOf('='));
    const error = (() => {
      try {
        refused(pair)();
      } catch (e) {
        return e as Error;
      }
      throw new Error('accepted');
    })();
    expect(error.name).toBe('InfraUsageError');
    expect(error.message).toContain(`${setting} for environment dev is "`);
    expect(error.message).toContain(problem);
    expect(error.message).toContain(`fix ${setting}`);
    // One line, the raw control characters shown escaped.
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('the same rule as the app: what synth accepts the app loads (every environment, edge values)', () => {
    for (const name of ENVIRONMENT_NAMES) {
      for (const pairs of [
        [],
        ['app.corsOrigins=*'],
        ['app.corsOrigins=https://a.example,http://localhost:3000', 'app.cacheTtlSeconds=1'],
      ]) {
        const env = getEnvironment(name, parseSetArguments(pairs));
        const data = apiConfigData(appConfigPropsFrom({ env, namespace: env.namespace } as never, { host: 'postgres', port: 5432 }));
        expect(() => loadConfig(data)).not.toThrow();
      }
    }
  });

  it('a bad value in qctl.config.ts is named with the file', async () => {
    const project = join(dir, 'config-project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'qctl.config.ts'), "export default { defaults: { app: { corsOrigins: ['quotes.example.com'] } } };\n");
    const result = await runQctl(['synth', '--env', 'staging', '--out', join(project, 'out')], { cwd: project });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trim().split('\n')).toEqual([
      'qctl: qctl.config.ts defaults: app.corsOrigins for environment staging is "quotes.example.com", which the app refuses at start (CORS_ORIGINS: "quotes.example.com" is not an origin; use scheme://host[:port] with no path or trailing slash): fix app.corsOrigins in qctl.config.ts or --set',
    ]);
    expect(existsSync(join(project, 'out'))).toBe(false);
  });

  it('synth, diff and up --dry-run refuse before writing or contacting anything (real qctl)', async () => {
    const out = join(dir, 'out');
    const env = { KUBECONFIG: join(dir, 'no-kubeconfig') };
    for (const args of [['synth', '--out', out], ['diff'], ['up', '--dry-run']]) {
      const result = await runQctl([...args, '--set', 'app.embeddingModel=text-\nembedding-3-small'], { env });
      expect(result.exitCode, String(result.stderr)).toBe(2);
      const lines = String(result.stderr).trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        '--set "app.embeddingModel=text-\\nembedding-3-small": app.embeddingModel for environment dev is "text-\\nembedding-3-small"',
      );
    }
    expect(existsSync(out)).toBe(false);
  });
});
