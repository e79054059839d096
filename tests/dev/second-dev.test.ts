import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { loadQuoteFixture } from '../helpers/quotes-fixture.js';
import { startDevProcess, type DevProcess } from './dev-process.js';

const started: DevProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const dev of started) if (dev.child.exitCode === null) dev.child.kill('SIGTERM');
  await Promise.all(started.map((dev) => dev.child));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A free port whose next one is free too: the hint under test suggests port + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await isFree(port + 1))) return port;
  }
}

const env = { DATABASE_URL: undefined, REDIS_URL: undefined, OPENAI_API_KEY: undefined };

describe('a second qctl dev', () => {
  it(
    'on the same port is told to stop pid N or to change both port and directory, and that advice works',
    { timeout: 300_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'qctl-second-dev-'));
      dirs.push(dir);
      const quotes = join(dir, 'quotes.json');
      await writeFile(quotes, JSON.stringify(loadQuoteFixture().slice(0, 5)));
      const devDir = join(dir, 'dev');
      const port = await freePortPair();
      const first = await startDevProcess(['--dev-dir', devDir, '--port', String(port), '--quotes', quotes], env);
      started.push(first);
      const pid = first.child.pid!;

      const second = await runQctl(['dev', '--dev-dir', devDir, '--port', String(port), '--quotes', quotes], { env });
      expect(second.exitCode).toBe(2);
      const message = String(second.stderr).trim();
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain(`port ${port} is already in use: the dev database in ${devDir} is in use by qctl dev (pid ${pid}`);
      expect(message).toContain(`stop it (kill ${pid})`);
      const suggested = /e\.g\. (--port \d+ --dev-dir \S+)/.exec(message)?.[1];
      expect(suggested).toBe(`--port ${port + 1} --dev-dir ${devDir}-${port + 1}`);

      // Following the advice starts a second one beside the first.
      const third = await startDevProcess([...suggested!.split(' '), '--quotes', quotes], env);
      started.push(third);
      expect(third.ready.url).toBe(`http://127.0.0.1:${port + 1}`);

      // Only another port: the lock message names the other directory as a way out too.
      const other = await runQctl(['dev', '--dev-dir', devDir, '--port', String(await freePort()), '--quotes', quotes], { env });
      expect(other.exitCode).toBe(2);
      expect(String(other.stderr)).toMatch(
        new RegExp(`is in use by qctl dev \\(pid ${pid}.*stop it first \\(kill ${pid}\\), or use another directory \\(--dev-dir DIR\\)`),
      );
    },
  );
});
