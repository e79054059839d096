import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCause, findDataDirProblem } from '../../bin/dev/data-dir-problem.js';
import { startEmbeddedPostgres } from '../../bin/dev/embedded-postgres.js';
import { freePort } from '../helpers/ports.js';
import { repoPath } from '../helpers/quotes-fixture.js';

// Intact data the process cannot use: someone else's files, a read-only mount, a full disk.
// Root ignores mode bits, so qctl runs as `nobody` (setpriv) where permissions matter, and the
// read-only and full file systems are real mounts (a read-only bind mount, small tmpfs).
// Each is named with its fix; none is called damaged, none advises moving the data away.
const NOBODY = 65534;
const env = { CI: 'true', DATABASE_URL: undefined, PGHOST: undefined, OPENAI_API_KEY: undefined };
let dir: string;
let template: string;
const mounts: string[] = [];

function mount(args: string[]): void {
  execFileSync('mount', args);
  mounts.push(args.at(-1)!);
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error('these cases mount file systems and run qctl as another user: run them as root (as CI does)');
  }
  dir = await mkdtemp(join(tmpdir(), 'qctl-unusable-'));
  chmodSync(dir, 0o755);
  template = join(dir, 'template', 'pgdata');
  const database = await startEmbeddedPostgres({ dataDir: template });
  await database.db.exec('CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$intact$$)');
  await database.stop();
}, 120_000);

afterAll(async () => {
  for (const target of mounts.reverse()) {
    try {
      execFileSync('umount', ['--lazy', target]); // PGlite keeps a file of its failed start open
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** `qctl dev` as a real process (the CLI bundle), optionally as another user. */
async function dev(devDir: string, as?: number) {
  const command = ['node', repoPath('bin/qctl.mjs'), 'dev', '--dev-dir', devDir, '--port', String(await freePort())];
  const [file, ...args] = as === undefined ? command : ['setpriv', `--reuid=${as}`, `--regid=${as}`, '--clear-groups', ...command];
  const result = await execa(file!, args, { cwd: repoPath(), env, reject: false, timeout: 120_000 });
  const errors = String(result.stderr)
    .split('\n')
    .filter((l) => l.startsWith('qctl:'));
  return { exitCode: result.exitCode, errors, stderr: String(result.stderr) };
}

function copyTemplate(devDir: string): string {
  const dataDir = join(devDir, 'pgdata');
  cpSync(template, dataDir, { recursive: true });
  return dataDir;
}

function fileCount(path: string): number {
  return readdirSync(path, { recursive: true }).length;
}

describe('qctl dev on a data directory it cannot use', () => {
  it('someone else’s data: permission, with the owner and chown, not "damaged"', { timeout: 120_000 }, async () => {
    const devDir = join(dir, 'foreign');
    const dataDir = copyTemplate(devDir);
    chmodSync(devDir, 0o777); // the dev directory (lock file) is usable; the database files are root's
    const run = await dev(devDir, NOBODY);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`cannot open the database in ${dataDir}: permission denied on ${dataDir}/`);
    expect(run.errors[0]).toContain(`it belongs to uid 0, not you (uid ${NOBODY})`);
    expect(run.errors[0]).toContain(`sudo chown -R $(id -u):$(id -g) ${dataDir}`);
    expect(run.errors[0]).toMatch(/the data in it is intact, keep it$/);
    expect(run.errors[0]).not.toMatch(/damaged|move it aside|\.broken/);
  });

  it('own data without write permission: read-only by its mode, fixed with chmod', { timeout: 120_000 }, async () => {
    const devDir = join(dir, 'mode');
    const dataDir = copyTemplate(devDir);
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, devDir]);
    execFileSync('chmod', ['-R', 'a-w', dataDir]);
    const run = await dev(devDir, NOBODY);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining(`cannot open the database in ${dataDir}: ${dataDir}/`)]);
    expect(run.errors[0]).toContain(`is not writable (EACCES, read-only by its mode): make it writable (chmod -R u+rwX ${dataDir})`);
    expect(run.errors[0]).not.toMatch(/damaged|move it aside|\.broken/);
  });

  it('data on a read-only mount: EROFS, remount or copy, never "damaged"', { timeout: 120_000 }, async () => {
    const devDir = join(dir, 'readonly');
    const source = join(dir, 'readonly-source');
    copyTemplate(source);
    const dataDir = join(devDir, 'pgdata');
    mkdirSync(dataDir, { recursive: true });
    mount(['--bind', join(source, 'pgdata'), dataDir]);
    execFileSync('mount', ['-o', 'remount,bind,ro', dataDir]);
    const run = await dev(devDir);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`cannot open the database in ${dataDir}: ${dataDir}/`);
    expect(run.errors[0]).toContain('is on a read-only file system (EROFS): remount it read-write, or copy the directory');
    expect(run.errors[0]).not.toMatch(/damaged|move it aside|\.broken/);
  });

  it('a first start on a full disk fails at once with the space it needs, leaving nothing half-made', { timeout: 120_000 }, async () => {
    const disk = join(dir, 'small-disk');
    mkdirSync(disk);
    mount(['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', disk]);
    const devDir = join(disk, 'dev');
    const run = await dev(devDir);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      new RegExp(
        `^qctl: cannot create the database in ${devDir}/pgdata: no space left on the device \\(ENOSPC, \\d+ MB free in ${devDir}\\): free some space`,
      ),
    );
    expect(run.stderr).not.toMatch(/object Object|internal error|damaged/);
    expect(existsSync(join(devDir, 'pgdata'))).toBe(false);
  });

  it('an existing database on a full disk: no space, the data kept as it was', { timeout: 120_000 }, async () => {
    const disk = join(dir, 'full-disk');
    mkdirSync(disk);
    mount(['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk]);
    const devDir = join(disk, 'dev');
    const dataDir = copyTemplate(devDir);
    const files = fileCount(dataDir);
    // Fill what is left (dd stops at ENOSPC and says so: that is the point).
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=1M'], { stdio: 'ignore' });
    } catch {
      // full
    }
    const run = await dev(devDir);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain(`cannot open the database in ${dataDir}: no space left on the device (ENOSPC, 0 MB free`);
    expect(run.errors[0]).toMatch(/the data in it is intact, keep it$/);
    expect(run.errors[0]).not.toMatch(/damaged|move it aside|\.broken/);
    expect(fileCount(dataDir)).toBe(files);
    expect(statSync(join(dataDir, 'PG_VERSION')).size).toBeGreaterThan(0);
  });

  it('renders what PGlite throws on a full disk (an ErrnoError, not an Error) as ENOSPC', { timeout: 120_000 }, async () => {
    const disk = join(dir, 'pglite-disk');
    mkdirSync(disk);
    mount(['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', disk]);
    const error = await PGlite.create({ dataDir: join(disk, 'pgdata') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    expect(error instanceof Error).toBe(false);
    expect(String(error)).toBe('[object Object]');
    expect(describeCause(error)).toBe('ENOSPC from the PGlite file system');
    expect(await findDataDirProblem(join(disk, 'pgdata'), error)).toMatchObject({ kind: 'no-space' });
  });

  it('one Ctrl-C while the database opens stops qctl dev and frees the directory', { timeout: 120_000 }, async () => {
    const devDir = join(dir, 'interrupted');
    copyTemplate(devDir);
    const child = execa('node', [repoPath('bin/qctl.mjs'), 'dev', '--dev-dir', devDir, '--port', String(await freePort())], {
      cwd: repoPath(),
      env,
      reject: false,
      buffer: false,
    });
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('starting embedded Postgres')) resolve();
      });
    });
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode === 0 || result.exitCode === 130).toBe(true);
    expect(stderr).toContain('qctl dev: stopping');
    expect(existsSync(join(devDir, 'state.json'))).toBe(false);
  });
});
