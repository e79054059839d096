import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQctl } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { repoPath } from '../helpers/quotes-fixture.js';
import { startFakeOpenAI, type FakeOpenAI } from '../seed/fake-openai.js';
import { startDevProcess, type DevProcess } from './dev-process.js';

// One process owns a dev directory at a time; whatever a command reports as stored must be there.
const env = { VECTOR_INDEX: 'ivfflat', IVFFLAT_LISTS: '10', DATABASE_URL: undefined, PGHOST: undefined, OPENAI_API_KEY: undefined };
const AUTHOR = 'Race Tester';
const started: DevProcess[] = [];
let dir: string;
let newQuotesFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qctl-race-'));
  newQuotesFile = join(dir, 'new50.json');
  const quotes = Array.from({ length: 50 }, (_, i) => ({ quote: `Race quote number ${i}: the lock holds.`, author: AUTHOR }));
  writeFileSync(newQuotesFile, JSON.stringify(quotes));
});
afterAll(async () => {
  for (const dev of started) if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

interface SeedOutcome {
  exitCode: number;
  stored?: { new: number; skipped: number };
  stderr: string;
}

async function seed(devDir: string, source: string): Promise<SeedOutcome> {
  const result = await runQctl(['seed', '--dev-dir', devDir, '--source', source, '--output', 'json'], { env });
  const stdout = String(result.stdout);
  return {
    exitCode: result.exitCode ?? -1,
    stored: result.exitCode === 0 ? (JSON.parse(stdout) as { new: number; skipped: number }) : undefined,
    stderr: String(result.stderr),
  };
}

const REFUSED = /^qctl: the dev database in .* is in use by qctl (seed|dev) \(pid \d+.*\): .*\n$/;

describe('one dev directory, many processes', () => {
  it(
    'two seeds at once: one runs, the other is refused naming the pid; what was reported stored is there',
    { timeout: 240_000 },
    async () => {
      const devDir = join(dir, 'two-seeds');
      const [big, small] = await Promise.all([seed(devDir, 'file:data/quotes.json'), seed(devDir, `file:${newQuotesFile}`)]);
      const outcomes = [big, small];
      // Exactly one ran; the other said who holds the directory and stored nothing.
      expect(outcomes.filter((o) => o.exitCode === 0)).toHaveLength(1);
      const refused = outcomes.find((o) => o.exitCode !== 0)!;
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(REFUSED);

      // Re-runs: the one that ran finds everything it reported (new 0); the refused one now runs.
      const bigAgain = await seed(devDir, 'file:data/quotes.json');
      const smallAgain = await seed(devDir, `file:${newQuotesFile}`);
      expect(bigAgain.exitCode).toBe(0);
      expect(smallAgain.exitCode).toBe(0);
      if (big.exitCode === 0) expect(bigAgain.stored).toMatchObject({ new: 0, skipped: 1454 });
      else expect(bigAgain.stored).toMatchObject({ new: 1423 });
      if (small.exitCode === 0) expect(smallAgain.stored).toMatchObject({ new: 0, skipped: 50 });
      else expect(smallAgain.stored).toMatchObject({ new: 50 });
      expect(existsSync(join(devDir, 'state.json'))).toBe(false);
    },
  );

  it('seed and dev at once, then kill -9: the directory stays usable and keeps what was reported', { timeout: 300_000 }, async () => {
    const devDir = join(dir, 'seed-and-dev');
    const port = await freePort();
    const devStart = startDevProcess(['--dev-dir', devDir, '--port', String(port)], env).then(
      (dev) => (started.push(dev), dev),
      (error: Error) => error,
    );
    const seeded = await seed(devDir, `file:${newQuotesFile}`);
    const dev = await devStart;

    let reportedNew = seeded.exitCode === 0 ? seeded.stored!.new : 0;
    if (dev instanceof Error) {
      // The seed held the directory: dev refused at once, naming it.
      expect(dev.message).toMatch(/exited with 2 before it was ready:\nqctl: the dev database in .* is in use by qctl seed \(pid \d+\)/);
      expect(seeded.exitCode).toBe(0);
    } else {
      // dev held it: the seed went through dev's own server (or waited for it to open).
      expect(seeded.exitCode).toBe(0);
      const page = await fetch(`${dev.ready.url}/quotes?author=${encodeURIComponent(AUTHOR)}&limit=100`).then(
        (r) => r.json() as Promise<{ items: unknown[] }>,
      );
      expect(page.items).toHaveLength(50);
      dev.child.kill('SIGKILL'); // leaves a stale lock behind
      await dev.child;
      expect(existsSync(join(devDir, 'state.json'))).toBe(true);
      reportedNew = 50;
    }
    expect(reportedNew).toBe(50);

    // A stale lock (its pid is gone) is taken over; everything reported stored is still there.
    const again = await seed(devDir, `file:${newQuotesFile}`);
    expect(again).toMatchObject({ exitCode: 0, stored: { new: 0, skipped: 50 } });
    const restarted = await startDevProcess(['--dev-dir', devDir, '--port', String(await freePort())], env);
    started.push(restarted);
    const page = await fetch(`${restarted.ready.url}/quotes?author=${encodeURIComponent(AUTHOR)}&limit=100`).then(
      (r) => r.json() as Promise<{ items: unknown[] }>,
    );
    expect(page.items).toHaveLength(50);
    restarted.child.kill('SIGTERM');
    expect((await restarted.child).exitCode).toBe(0);
  });

  it('a directory PGlite cannot open: one line with the fix, not a WASM abort', async () => {
    const devDir = join(dir, 'broken');
    const pgdata = join(devDir, 'pgdata');
    mkdirSync(pgdata, { recursive: true });
    writeFileSync(join(pgdata, 'PG_VERSION'), 'not a version\n');
    const result = await runQctl(['seed', '--dev-dir', devDir, '--source', 'sample'], { env });
    expect(result.exitCode).toBe(1);
    const lines = String(result.stderr)
      .split('\n')
      .filter((l) => l.startsWith('qctl:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`cannot open the database in ${pgdata} .*move it aside \\(mv ${pgdata} ${pgdata}\\.broken\\)`));
    expect(String(result.stderr)).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(join(devDir, 'state.json'))).toBe(false);
  });
});

describe('qctl dev first start', () => {
  let openai: FakeOpenAI;
  beforeAll(async () => {
    openai = await startFakeOpenAI();
  });
  afterAll(async () => {
    await openai?.stop();
  });

  it(
    'Ctrl-C during the first seed says it is stopping and stops promptly; the next start resumes the seed',
    { timeout: 300_000 },
    async () => {
      const devDir = join(dir, 'resume');
      const openaiEnv = { ...env, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url, EMBEDDING_MAX_RETRIES: '0' };
      openai.delayMs = 1500; // each embedding batch takes 1.5 s: time to interrupt midway
      const child = execa(
        'node',
        [repoPath('bin/qctl.mjs'), 'dev', '--dev-dir', devDir, '--port', String(await freePort()), '--output', 'json'],
        {
          cwd: repoPath(),
          env: { CI: 'true', ...openaiEnv },
          reject: false,
        },
      );
      // Wait until the first batches are stored, reading the database through dev's own server.
      let stored = 0;
      for (let i = 0; i < 1200 && stored === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const state = readState(devDir);
        if (!state?.databaseUrl) continue;
        stored = await countQuotes(state.databaseUrl).catch(() => 0);
      }
      expect(stored).toBeGreaterThan(0);
      expect(stored).toBeLessThan(1423);
      const interruptedAt = Date.now();
      child.kill('SIGINT');
      const result = await child;
      // A hang detector only (a loaded machine stretches the shutdown): that the seed stopped midway is
      // shown below by the "stopped during start-up" line and the resumable first-seed.json.
      expect(Date.now() - interruptedAt).toBeLessThan(60_000);
      expect(String(result.stderr)).toMatch(/qctl dev: stopping/);
      expect(String(result.stderr)).toContain('qctl dev: stopped during start-up');
      expect(existsSync(join(devDir, 'first-seed.json'))).toBe(true);
      expect(existsSync(join(devDir, 'state.json'))).toBe(false);

      openai.delayMs = 0;
      const resumed = await startDevProcess(['--dev-dir', devDir, '--port', String(await freePort())], openaiEnv);
      started.push(resumed);
      expect(resumed.stderr()).toMatch(/resuming the first-start seed that was interrupted: quotes from data\/quotes\.json/);
      // Only what the interrupted run had not stored is new now, and nothing is missing.
      expect(resumed.ready.seeded!.new).toBeGreaterThan(0);
      expect(resumed.ready.seeded!.new).toBeLessThanOrEqual(1423 - stored);
      expect(await countQuotes(resumed.ready.databaseUrl)).toBe(1423);
      expect(existsSync(join(devDir, 'first-seed.json'))).toBe(false);
      resumed.child.kill('SIGTERM');
      expect((await resumed.child).exitCode).toBe(0);
    },
  );
});

function readState(devDir: string): { databaseUrl?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(devDir, 'state.json'), 'utf8')) as { databaseUrl?: string };
  } catch {
    return undefined;
  }
}

async function countQuotes(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM quotes')).rows[0]!.n);
  } finally {
    await client.end();
  }
}
