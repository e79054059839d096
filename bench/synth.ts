/**
 * `npm run bench:synth`: the CLI as whole processes (wall time, CPU time, peak RSS), next to
 * their floors, in one run:
 *   node -e 0                      the floor of any Node process
 *   import cdk8s                   the floor of synthesis (cdk8s is what every chart builds on)
 *   qctl --version, qctl synth --help, qctl synth --all   compiled (how `npx qctl` runs once
 *                                  `npm run build` is fresh) and from source (through tsx, how
 *                                  bin/qctl.mjs runs when build/ is missing or older than a source);
 *                                  synth twice: "first run" with an empty schema record (every
 *                                  object's schema checked), then the usual repeated run
 * Targets: synth --all <= 700 ms, --version and <cmd> --help <= 200 ms (compiled rows).
 *   --runs N      repetitions per row (default 5; the table shows min / median / max)
 *   --no-compiled skip the tsc build into .qctl/bench-build and the compiled rows
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
const compiled = !args.includes('--no-compiled');
const TARGETS: Record<string, number> = { synth: 700, startup: 200 };

const work = mkdtempSync(join(tmpdir(), 'qctl-bench-synth-'));
const rssFile = join(work, 'rss');
// The schema record (infra/validation/schema.ts) is kept here, outside the user's ~/.cache.
const warmCache = join(work, 'warm-cache');
const preload = join(ROOT, 'bench', 'synth-rss.mjs');

interface Row {
  label: string;
  argv: string[];
  env?: Record<string, string>;
  /** Which target applies (compiled rows only). */
  target?: keyof typeof TARGETS;
  floor?: boolean;
  /** A new, empty schema record (QCTL_CACHE_DIR) for every run: the first synth on a machine. */
  coldCache?: boolean;
}

function measure(row: Row): { wall: number[]; rssKiB: number[]; cpu: number[] } {
  const wall: number[] = [];
  const rssKiB: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    rmSync(rssFile, { force: true });
    const started = process.hrtime.bigint();
    const cacheDir = row.coldCache ? mkdtempSync(join(work, 'cold-cache-')) : warmCache;
    const child = spawnSync(process.execPath, ['--import', preload, ...row.argv], {
      cwd: work,
      env: { ...process.env, ...row.env, CI: 'true', QCTL_BENCH_RSS_FILE: rssFile, QCTL_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    wall.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (child.status !== 0) throw new Error(`${row.label} exited ${child.status}: ${child.stderr}`);
    const [rss, cpuMicros] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
    rssKiB.push(rss!);
    cpu.push(cpuMicros! / 1000);
  }
  return { wall, rssKiB, cpu };
}

const qctl = join(ROOT, 'bin', 'qctl.mjs');
const synthArgs = ['synth', '--all', '--config', join(ROOT, 'qctl.config.ts'), '--out', join(work, 'dist')];
const cdk8s = createRequire(import.meta.url).resolve('cdk8s');
const fromSource = { QCTL_FROM_SOURCE: '1' };
const rows: Row[] = [
  { label: 'node -e 0 (floor)', argv: ['-e', '0'], floor: true },
  { label: 'import cdk8s (synth floor)', argv: ['-e', `require(${JSON.stringify(cdk8s)})`], floor: true },
];

if (compiled) {
  const out = join(ROOT, '.qctl', 'bench-build');
  process.stderr.write('compiling into .qctl/bench-build (tsc) ...\n');
  const tsc = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out],
    { stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error('tsc failed');
  // What bin/qctl.mjs does with a fresh build/, pointed at the bench build.
  const runner = join(work, 'run-compiled.mjs');
  writeFileSync(
    runner,
    `const entry = await import(${JSON.stringify(join(out, 'bin', 'qctl.js'))});\nprocess.exitCode = await entry.main(process.argv);\n`,
  );
  rows.push(
    { label: 'qctl --version (compiled)', argv: [runner, '--version'], target: 'startup' },
    { label: 'qctl synth --help (compiled)', argv: [runner, 'synth', '--help'], target: 'startup' },
    { label: 'qctl synth --all (compiled, first run)', argv: [runner, ...synthArgs], coldCache: true },
    { label: 'qctl synth --all (compiled)', argv: [runner, ...synthArgs], target: 'synth' },
  );
}
rows.push(
  { label: 'qctl --version (source, tsx)', argv: [qctl, '--version'], env: fromSource },
  { label: 'qctl synth --help (source, tsx)', argv: [qctl, 'synth', '--help'], env: fromSource },
  { label: 'qctl synth --all (source, tsx, first run)', argv: [qctl, ...synthArgs], env: fromSource, coldCache: true },
  { label: 'qctl synth --all (source, tsx)', argv: [qctl, ...synthArgs], env: fromSource },
);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const table: string[][] = [['process', 'runs', 'wall min', 'wall median', 'wall max', 'CPU median', 'peak RSS', 'vs node -e 0', 'target']];
let floor = 0;
const verdicts: string[] = [];
for (const row of rows) {
  const { wall, rssKiB, cpu } = measure(row);
  const m = median(wall);
  if (!floor) floor = m;
  const target = row.target ? TARGETS[row.target]! : undefined;
  if (target !== undefined)
    verdicts.push(`${row.label}: median ${m.toFixed(0)} ms, target <= ${target} ms: ${m <= target ? 'met' : 'NOT met'}`);
  table.push([
    row.label,
    String(runs),
    `${Math.min(...wall).toFixed(0)} ms`,
    `${m.toFixed(0)} ms`,
    `${Math.max(...wall).toFixed(0)} ms`,
    `${median(cpu).toFixed(0)} ms`,
    `${(Math.max(...rssKiB) / 1024).toFixed(0)} MiB`,
    row === rows[0] ? '' : `+${(m - floor).toFixed(0)} ms`,
    target !== undefined ? `<= ${target} ms` : row.floor ? 'floor' : '',
  ]);
}
rmSync(work, { recursive: true, force: true });

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const row of table)
  process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}\n`);
process.stdout.write(
  `\n${verdicts.join('\n')}\n(${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}: wall times on a busy machine exceed the targets; CPU time is steadier)\n`,
);
