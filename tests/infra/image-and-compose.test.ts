import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS } from '../../app/main.js';
import { loadConfig } from '../../app/config.js';
import { synthesize } from '../../infra/main.js';
import { repoPath } from '../helpers/quotes-fixture.js';

type Json = Record<string, any>;
const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
const compose = parse(readFileSync(repoPath('docker-compose.yml'), 'utf8'), { merge: true }) as Json;
const envExample = Object.fromEntries(
  readFileSync(repoPath('.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** Docker Compose interpolation for the forms we use: ${VAR}, ${VAR:-default}, ${VAR:?message}; $$ escapes. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (match, name?: string, op?: string, arg?: string) => {
    if (match === '$$') return '$';
    const set = env[name!] !== undefined && env[name!] !== '';
    if (op === '-') return set ? env[name!]! : arg!;
    if (!set && op === '?') throw new Error(arg);
    return env[name!] ?? '';
  });
}
const referencedVariables = (text: string) => [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]!);

describe('Dockerfile', () => {
  const instructions = dockerfile
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({ image: m[1]!, name: m[2] }));
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('is multi-stage and runs the current Node LTS, as a non-root numeric user', () => {
    // The API image is the last stage, the default target; the load worker is the `load` target.
    expect(stages.map((s) => s.name)).toEqual(['build', 'load-build', 'load', 'runtime']);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-/m);
    expect(runtime).toMatch(/^USER 1000:1000$/m);
  });

  it('installs once in the build stage and ships only the bundle artefact', () => {
    expect([...instructions.matchAll(/npm ci\b/g)]).toHaveLength(1);
    expect(instructions).not.toMatch(/npm cache clean/);
    // The runtime stage copies the artefact of `npm run bundle` and nothing else: no node_modules, CLI or sources.
    expect([...runtime.matchAll(/^COPY .*$/gm)].map((m) => m[0])).toEqual(['COPY --from=build /app/build/image ./']);
    expect(runtime).not.toMatch(/^RUN /m);
    const bundleScript = readFileSync(repoPath('scripts/bundle-app.mjs'), 'utf8');
    expect(bundleScript).toContain("'build/image'");
  });

  it('builds the in-cluster load worker as its own target, from its bundle only', () => {
    const load = dockerfile.slice(dockerfile.indexOf('AS load\n'), dockerfile.indexOf('\nFROM ', dockerfile.indexOf('AS load\n')));
    expect([...load.matchAll(/^COPY .*$/gm)].map((m) => m[0])).toEqual(['COPY --from=load-build /app/build/load-image ./']);
    expect(load).toMatch(/^USER 1000:1000$/m);
    expect(load).toMatch(/^ENTRYPOINT \["node", "build\/load\/worker\.js"\]$/m);
    expect(readFileSync(repoPath('scripts/bundle-load.mjs'), 'utf8')).toContain("'build/load-image'");
  });

  it('uses only commands, files and scripts that exist', () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const [, script] of instructions.matchAll(/npm run (\S+)/g)) expect(pkg.scripts[script!], `npm run ${script}`).toBeDefined();
    expect(pkg.scripts.bundle).toBe('node scripts/bundle-app.mjs');
    expect(existsSync(repoPath('package-lock.json'))).toBe(true);
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n');
    for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm)) {
      for (const path of source!.split(' ')) {
        expect(existsSync(repoPath(path)), path).toBe(true);
        expect(ignored, `${path} is in .dockerignore`).not.toContain(path);
      }
    }
    // scripts/bundle-app.mjs writes app/main.ts to build/app/main.js inside the artefact, the entry point.
    expect(existsSync(repoPath('app/main.ts'))).toBe(true);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "build\/app\/main\.js"\]$/m);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(Object.keys(COMMANDS)).toEqual(expect.arrayContaining([...cmd, 'serve', 'migrate', 'seed']));
  });

  it('npm run build copies every non-TypeScript file the app reads at runtime (tsc emits only .js)', async () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toContain('node scripts/copy-assets.mjs');
    const out = mkdtempSync(join(tmpdir(), 'qctl-assets-'));
    try {
      await execa('node', [repoPath('scripts/copy-assets.mjs'), out]);
      const assets = readdirSync(repoPath('app'), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && !entry.name.endsWith('.ts'))
        .map((entry) => relative(repoPath(), join(entry.parentPath, entry.name)));
      expect(assets).toEqual(expect.arrayContaining(['app/db/migrations/0001_quotes.sql', 'app/page/index.html']));
      for (const asset of assets) expect(existsSync(join(out, asset)), asset).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('.dockerignore keeps secrets and local state out of the build context', () => {
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.env', '.env.*', 'node_modules', 'dist', '.git', 'secrets']));
  });
});

describe('docker-compose.yml', () => {
  const services = compose.services as Record<string, Json>;

  it('references only defined services and volumes', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'seed']);
    for (const [name, service] of Object.entries(services)) {
      for (const dependency of Object.keys(service.depends_on ?? {}))
        expect(services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(compose.volumes, `${name} volume ${source}`).toHaveProperty(source);
      }
    }
  });

  it('runs the pgvector image, a password-protected Redis and the image commands', () => {
    expect(services.postgres!.image).toMatch(/^pgvector\/pgvector:[^:]+$/);
    expect(services.redis!.command).toEqual(expect.arrayContaining(['--requirepass', '--appendonly']));
    for (const name of ['api', 'migrate', 'seed']) {
      expect(services[name]!.build, name).toBe('.');
      for (const command of services[name]!.command as string[]) expect(Object.keys(COMMANDS)).toContain(command);
      expect(services[name]).toMatchObject({ read_only: true, user: '1000:1000', cap_drop: ['ALL'] });
    }
    expect(services.api!.depends_on.migrate.condition).toBe('service_completed_successfully');
  });

  it('every variable it reads is in .env.example, which holds no real secrets', () => {
    const text = readFileSync(repoPath('docker-compose.yml'), 'utf8');
    for (const variable of new Set(referencedVariables(text))) expect(envExample, variable).toHaveProperty(variable);
    expect(envExample.OPENAI_API_KEY).toBe('');
    expect(envExample.POSTGRES_PASSWORD).toMatch(/^change-me/);
  });

  it('a missing password stops compose with a message, and the API env is accepted by the app config', () => {
    const api = services.api!.environment as Record<string, string>;
    const { POSTGRES_PASSWORD: _omit, ...withoutPassword } = envExample;
    expect(() => interpolate(api.DATABASE_URL!, withoutPassword)).toThrow('set POSTGRES_PASSWORD in .env');
    const env = Object.fromEntries(Object.entries(api).map(([key, value]) => [key, interpolate(String(value), envExample)]));
    expect(env.DATABASE_URL).toBe('postgres://quotes:change-me-postgres@postgres:5432/quotes');
    const config = loadConfig(env);
    expect(config).toBeDefined();
  });
});

describe('the manifests env is accepted by the app config', () => {
  it.each(['dev', 'prod'])('%s ConfigMap + secret references load with app/config.ts', async (envName) => {
    const { objects } = await synthesize({ env: envName, config: false, monitoring: 'none' });
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'quote-api-config') as Json;
    const container = (objects.find((o) => o.kind === 'Deployment') as Json).spec.template.spec.containers[0];
    // What the kubelet does: envFrom the ConfigMap, then env in order with $(VAR) expansion.
    const env: Record<string, string> = { ...configMap.data };
    const secrets: Record<string, string> = { PGUSER: 'quotes', PGPASSWORD: 'pw', REDIS_PASSWORD: 'redis-pw' };
    for (const variable of container.env as Json[]) {
      env[variable.name] = variable.valueFrom
        ? secrets[variable.name]!
        : String(variable.value).replace(/\$\(([A-Z_]+)\)/g, (_m, name: string) => env[name]!);
    }
    expect(env.REDIS_URL).toBe(`redis://:redis-pw@redis.quotes-${envName}.svc.cluster.local:6379/0`);
    expect(loadConfig(env).version).toBe('0.1.0');
  });
});
