import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { freePort } from '../helpers/ports.js';
import { commandOf, descendants, isAlive, startDevProcess, type DevProcess } from './dev-process.js';

const started: DevProcess[] = [];
afterAll(async () => {
  // Only if a test failed midway: stop what we started, by PID.
  for (const dev of started) if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
});

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

describe('qctl dev', () => {
  it('serves the seeded API on embedded Postgres and exits 0 on SIGTERM leaving no processes', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const dev = await startDevProcess(['--ephemeral', '--quotes', 'data/quotes.json', '--port', String(port)]);
    started.push(dev);
    expect(dev.ready).toMatchObject({
      url: `http://127.0.0.1:${port}`,
      metrics: `http://127.0.0.1:${port}/metrics`,
      dataDir: null,
      cache: 'memory',
      embeddings: 'qctl-local-lexical-v1',
      seeded: { new: 1423, fallback: false },
    });
    expect((await getJson(`${dev.ready.url}/readyz`)).status).toBe(200);
    const search = await getJson(`${dev.ready.url}/quotes/search?q=${encodeURIComponent('courage and fear')}&limit=5`);
    expect(search.status).toBe(200);
    const results = (Array.isArray(search.body) ? search.body : (search.body as { results: unknown[] }).results) as { quote: string }[];
    expect(results.length).toBeGreaterThan(0);
    expect(results.some((r) => /courage|fear/i.test(r.quote))).toBe(true);
    const metrics = await fetch(dev.ready.metrics).then((r) => r.text());
    expect(metrics).toContain('http_requests_total');

    const pid = dev.child.pid!;
    const below = descendants(pid).map((child) => ({ pid: child, command: commandOf(child) }));
    dev.child.kill('SIGTERM');
    const result = await dev.child;
    expect(result.exitCode).toBe(0);
    expect(dev.stderr()).toContain('qctl dev: stopped');
    // Helpers such as tsx's esbuild service end when their parent's pipe closes; give them a moment.
    for (let i = 0; i < 50 && below.some((p) => isAlive(p.pid)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(below.filter((p) => isAlive(p.pid))).toEqual([]);
  });

  it('qctl seed with no database URL opens the dev data directory itself when qctl dev is not running', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qctl-dev-seed-'));
    try {
      const env = { DATABASE_URL: undefined, PGHOST: undefined, VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '10' };
      const args = ['seed', '--dev-dir', join(dir, 'dev'), '--source', 'sample', '--output', 'json'];
      const first = await runQctl(args, { env });
      expect(first.exitCode).toBe(0);
      expect((JSON.parse(String(first.stdout)) as { new: number }).new).toBeGreaterThanOrEqual(30);
      expect(existsSync(join(dir, 'dev', 'pgdata'))).toBe(true);
      expect(existsSync(join(dir, 'dev', 'state.json'))).toBe(false);
      const again = await runQctl(args, { env });
      expect(JSON.parse(String(again.stdout))).toMatchObject({ new: 0, embeddingRequests: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops cleanly when the process that started it goes away (a killed npx or terminal)', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qctl-dev-parent-'));
    const quotes = join(dir, 'one.json');
    await writeFile(quotes, JSON.stringify([{ quote: 'Be here now.', author: 'Ram Dass' }]));
    const port = await freePort();
    // A shell plays the parent (npx, a terminal): it starts qctl dev, then is killed outright.
    const parent = execa(
      'sh',
      ['-c', `node ${repoPath('bin/qctl.mjs')} dev --ephemeral --quotes ${quotes} --port ${port} & echo $!; wait`],
      {
        env: { CI: 'true', DATABASE_URL: undefined, OPENAI_API_KEY: undefined, REDIS_URL: undefined },
        reject: false,
        buffer: false,
      },
    );
    try {
      const devPid = await new Promise<number>((resolve) =>
        parent.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
      );
      let ready = false;
      for (let i = 0; i < 600 && !ready; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      }
      expect(ready).toBe(true);
      parent.kill('SIGKILL');
      await parent;
      for (let i = 0; i < 100 && isAlive(devPid); i++) await new Promise((r) => setTimeout(r, 100));
      expect(isAlive(devPid)).toBe(false);
      expect(
        await fetch(`http://127.0.0.1:${port}/readyz`).then(
          () => 'answered',
          () => 'closed',
        ),
      ).toBe('closed');
    } finally {
      if (parent.exitCode === null) parent.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the busy port and the --port flag, exit 2', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runQctl(['dev', '--ephemeral', '--port', String(port)]);
      expect(result.exitCode).toBe(2);
      expect(String(result.stderr).trim()).toBe(
        `qctl: port ${port} is already in use: stop whatever listens there or pick another with --port, e.g. --port ${port + 1}`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it(
    'offline, falls back to the bundled data/quotes.json, keeps data across restarts, and qctl seed targets it',
    { timeout: 240_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'qctl-dev-'));
      const devDir = join(dir, 'dev');
      const offline = `http://127.0.0.1:${await freePort()}`; // nothing listens: like being offline
      const env = { VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '10' }; // quick to build; HNSW is the first test's
      try {
        const first = await startDevProcess(['--dev-dir', devDir, '--port', String(await freePort()), '--dummyjson-url', offline], env);
        started.push(first);
        expect(first.ready.dataDir).toBe(join(devDir, 'pgdata'));
        expect(first.ready.seeded).toMatchObject({ new: 1423, fallback: true, source: `file ${repoPath('data/quotes.json')}` });
        expect(first.stderr()).toMatch(
          /warning: cannot fetch quotes from .*; loaded the bundled data\/quotes\.json instead\. Run `qctl seed` when online/,
        );

        // `qctl seed` with no database URL loads into the running dev database.
        const seeded = await runQctl(['seed', '--dev-dir', devDir, '--source', 'file:data/quotes.json', '--output', 'json'], {
          env: { ...env, DATABASE_URL: undefined },
        });
        expect(seeded.exitCode).toBe(0);
        expect(JSON.parse(String(seeded.stdout))).toMatchObject({ new: 0, skipped: 1454 });

        first.child.kill('SIGINT'); // Ctrl-C
        expect((await first.child).exitCode).toBe(0);
        expect(existsSync(join(devDir, 'state.json'))).toBe(false);

        const second = await startDevProcess(['--dev-dir', devDir, '--port', String(await freePort())], env);
        started.push(second);
        expect(second.ready.seeded).toBeNull();
        // The README's own example finds an answer.
        const search = await getJson(`${second.ready.url}/quotes?author=${encodeURIComponent('Albert Einstein')}`);
        expect(search.status).toBe(200);
        expect((search.body as { items: unknown[] }).items.length).toBeGreaterThan(0);
        second.child.kill('SIGTERM');
        expect((await second.child).exitCode).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
