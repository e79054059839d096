import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../app/support.js';
import { FakeOpenAI } from '../app/fake-openai.js';
import { freePort } from '../helpers/ports.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { repoPath } from '../helpers/quotes-fixture.js';

// The image's runtime artefact (npm run bundle), built outside the repository so no
// node_modules is reachable: what runs here is exactly what the Dockerfile copies to /app.
let out: string;
let db: EmbeddedPostgres;
let openai: FakeOpenAI;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'qctl-image-artefact-'));
  [db, openai] = await Promise.all([
    startTestPostgres(),
    new FakeOpenAI().start(),
    execa('node', [repoPath('scripts/bundle-app.mjs'), out], { cwd: repoPath() }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([db?.stop(), openai?.stop()]);
  if (out) rmSync(out, { recursive: true, force: true });
});

/** `node build/app/main.js <command>` from the artefact, as the image's ENTRYPOINT runs it. */
function image(command: string, env: Record<string, string>) {
  return execa('node', ['build/app/main.js', command], {
    cwd: out,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: out, LOG_LEVEL: 'info', DATABASE_URL: db.url, ...env },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    forceKillAfterDelay: 30_000,
  });
}
const withOpenAI = () => ({ OPENAI_API_KEY: 'sk-test-bundle-key', OPENAI_BASE_URL: openai.url });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('the runtime artefact (npm run bundle)', () => {
  it('holds one bundle, its package.json and the app assets: no node_modules, CLI or source maps', () => {
    const files = filesUnder(out);
    const assets = filesUnder(repoPath('app'))
      .filter((file) => !file.endsWith('.ts'))
      .map((file) => `build/app/${file}`);
    expect(assets).toEqual(expect.arrayContaining(['build/app/db/migrations/0001_quotes.sql', 'build/app/page/index.html']));
    expect(files).toEqual(['build/app/main.js', ...assets, 'package.json'].sort());
    for (let dir = out; dir !== dirname(dir); dir = dirname(dir))
      expect(existsSync(join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
    // The API's dependencies only: a bundle that pulled in the CLI (cdk8s, the Kubernetes client, PGlite) weighs tens of MB.
    expect(statSync(join(out, 'build/app/main.js')).size).toBeLessThan(4 * 1024 * 1024);
  });

  it('runs migrate, seed (embeddings through the OpenAI SDK) and serve against Postgres', async () => {
    const migrated = await image('migrate', {});
    expect(migrated.stderr).toBe('');
    expect(migrated.exitCode).toBe(0);
    expect(migrated.stdout).toContain('applied migration 0001_quotes');

    const seeded = await image('seed', { SEED_SOURCE: 'sample', ...withOpenAI() });
    expect(seeded.exitCode, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/new 45\b/);
    expect(openai.requests.length).toBeGreaterThan(0);
    expect(openai.requests[0]!.authorization).toBe('Bearer sk-test-bundle-key');

    const port = await freePort();
    // HOST unset: the default dual-stack `::` also answers on 127.0.0.1.
    let serve: ResultPromise | undefined = image('serve', { PORT: String(port), ...withOpenAI() });
    try {
      const url = `http://127.0.0.1:${port}`;
      for (let attempt = 0; ; attempt += 1) {
        const ready = await getJson(`${url}/readyz`).catch(() => ({ status: 0 }));
        if (ready.status === 200) break;
        expect(serve.exitCode, 'serve exited before it was ready').toBeNull();
        if (attempt > 300) throw new Error('serve was not ready after 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const search = await getJson(`${url}/quotes/search?q=${encodeURIComponent('patience and time')}`);
      expect(search.status).toBe(200);
      expect(search.body.length).toBeGreaterThan(0);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('process_cpu_seconds_total');

      serve.kill('SIGTERM');
      const stopped = await serve;
      serve = undefined;
      expect(stopped.exitCode).toBe(0);
      expect(stopped.stdout).toContain('"host":"::"');
      expect(stopped.stdout).toContain('quote API stopped');
    } finally {
      serve?.kill('SIGKILL');
    }
  }, 120_000);
});
