/**
 * `npm run bench:image`: the runtime artefact the image ships (npm run bundle), in one run:
 *   - bundle size (build/app/main.js) and the whole artefact;
 *   - start-to-ready: spawn `node build/app/main.js serve` until GET /readyz answers 200, on a
 *     warm database (PGlite in a process of its own, migrated), next to `node -e 0` and to the
 *     same service from source through tsx; target <= 500 ms for the bundle;
 *   - with podman on PATH: the image's own layers (image size minus the base image's), built
 *     with --build-arg NODE_IMAGE=$BENCH_NODE_IMAGE (default node:22-bookworm-slim); target <= 40 MB.
 * Options: --runs N (default 5).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../tests/helpers/ports.js';
import { repoPath } from '../tests/helpers/quotes-fixture.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
const READY_TARGET_MS = 500;
const LAYERS_TARGET_MB = 40;

const children: ChildProcess[] = [];
const out = mkdtempSync(join(tmpdir(), 'qctl-bench-image-'));
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function run(command: string, argv: string[], cwd = repoPath()): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, argv, { cwd, encoding: 'utf8', env: process.env });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

async function startDatabase(): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('bench/api/database.ts')], {
    cwd: repoPath(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  return new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the database process exited with code ${code}`)));
    lines.on('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
}

/** CPU milliseconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticksPerSecond = 100; // USER_HZ on Linux
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/**
 * From spawn to the first 200 from /readyz: wall milliseconds and the process's CPU
 * milliseconds at that moment (steadier than wall time on a busy machine). Then SIGTERM.
 */
async function startToReady(argv: string[], cwd: string, databaseUrl: string): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, argv, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ready = 0;
  let cpu = Number.NaN;
  while (!ready) {
    if (child.exitCode !== null) throw new Error(`${argv.join(' ')} exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      await response.text();
      if (response.ok) {
        ready = performance.now() - started;
        cpu = cpuMsOf(child.pid!);
      }
    } catch {
      // not listening yet
    }
    if (!ready) await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGTERM');
  await exited;
  return { wall: ready, cpu };
}

function imageLayers(): string {
  if (run('podman', ['--version']).status !== 0) return 'skipped: podman is not installed';
  const base = process.env.BENCH_NODE_IMAGE ?? 'node:22-bookworm-slim';
  const tag = 'localhost/qctl-bench-image:latest';
  const built = run('podman', ['build', '--build-arg', `NODE_IMAGE=${base}`, '-t', tag, '.']);
  if (built.status !== 0) return `skipped: podman build failed: ${built.stderr.trim().split('\n').at(-1)}`;
  const size = (image: string) => Number(run('podman', ['image', 'inspect', image, '--format', '{{.Size}}']).stdout.trim());
  const own = size(tag) - size(base);
  return `${(own / 1e6).toFixed(1)} MB above ${base} (target <= ${LAYERS_TARGET_MB} MB: ${own / 1e6 <= LAYERS_TARGET_MB ? 'met' : 'NOT met'})`;
}

async function main(): Promise<void> {
  console.log(`bench:image — ${runs} runs per row, node ${process.version}`);
  const bundling = performance.now();
  const bundled = run(process.execPath, [repoPath('scripts/bundle-app.mjs'), out]);
  if (bundled.status !== 0) throw new Error(`npm run bundle failed: ${bundled.stderr}`);
  const bundleMs = performance.now() - bundling;
  const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  const total = files.reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
  const bundleBytes = statSync(join(out, 'build/app/main.js')).size;

  const databaseUrl = await startDatabase();
  const migrated = spawnSync(process.execPath, ['build/app/main.js', 'migrate'], {
    cwd: out,
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  if (migrated.status !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);

  const floor: number[] = [];
  const bundle: Array<{ wall: number; cpu: number }> = [];
  const source: Array<{ wall: number; cpu: number }> = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    floor.push(performance.now() - t);
    bundle.push(await startToReady(['build/app/main.js', 'serve'], out, databaseUrl));
    source.push(await startToReady(['--import', 'tsx', repoPath('app/main.ts'), 'serve'], repoPath(), databaseUrl));
  }
  const summary = (samples: Array<{ wall: number; cpu: number }>) => {
    const wall = samples.map((s) => s.wall);
    return `median ${median(wall).toFixed(0)} ms (min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)}), CPU to ready median ${median(samples.map((s) => s.cpu)).toFixed(0)} ms`;
  };
  const bundleMedian = median(bundle.map((s) => s.wall));

  const rows = [
    ['artefact', `${files.length} files, ${mib(total)} (bundle build/app/main.js ${mib(bundleBytes)}, built in ${bundleMs.toFixed(0)} ms)`],
    ['node -e 0 (floor)', `median ${median(floor).toFixed(0)} ms (min ${Math.min(...floor).toFixed(0)})`],
    [
      'start to ready, bundle',
      `${summary(bundle)}; target <= ${READY_TARGET_MS} ms: ${bundleMedian <= READY_TARGET_MS ? 'met' : 'NOT met'}`,
    ],
    ['start to ready, source (tsx)', summary(source)],
    ['image own layers', imageLayers()],
  ];
  const width = Math.max(...rows.map(([label]) => label!.length));
  for (const [label, value] of rows) console.log(`${label!.padEnd(width)}  ${value}`);
  console.log(`(${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)})`);
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(out, { recursive: true, force: true });
  });
