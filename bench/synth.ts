/**
 * `npm run bench:synth`: wall time and peak memory of `qctl synth --all` (synthesis +
 * validation + writing dist/) as a whole process (wall time, CPU time, peak RSS), next to `node -e 0` (the floor) and
 * `qctl --help` (CLI startup), in one run. Target: synth --all <= 1.5 s.
 *   --runs N      repetitions per row (default 5; the table shows min / median / max)
 *   --compiled    also time the compiled CLI (tsc into .qctl/bench-build first), which is how
 *                 the published package runs; the default rows run from source through tsx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
const compiled = args.includes('--compiled');
const TARGET_MS = 1500;

const work = mkdtempSync(join(tmpdir(), 'qctl-bench-synth-'));
const rssFile = join(work, 'rss');
const preload = join(ROOT, 'bench', 'synth-rss.mjs');

interface Row {
  label: string;
  argv: string[];
  env?: Record<string, string>;
}

function measure(row: Row): { wall: number[]; rssKiB: number[]; cpu: number[] } {
  const wall: number[] = [];
  const rssKiB: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    rmSync(rssFile, { force: true });
    const started = process.hrtime.bigint();
    const child = spawnSync(process.execPath, ['--import', preload, ...row.argv], {
      cwd: work,
      env: { ...process.env, ...row.env, CI: 'true', QCTL_BENCH_RSS_FILE: rssFile },
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
const rows: Row[] = [
  { label: 'node -e 0 (floor)', argv: ['-e', '0'] },
  { label: 'qctl --help (source)', argv: [qctl, '--help'], env: { QCTL_FROM_SOURCE: '1' } },
  { label: 'qctl synth --all (source)', argv: [qctl, ...synthArgs], env: { QCTL_FROM_SOURCE: '1' } },
];

if (compiled) {
  const out = join(ROOT, '.qctl', 'bench-build');
  process.stderr.write('compiling into .qctl/bench-build ...\n');
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc failed');
  const runner = join(work, 'run-compiled.mjs');
  writeFileSync(runner, `const entry = await import(${JSON.stringify(join(out, 'bin', 'qctl.js'))});\nprocess.exitCode = await entry.main(process.argv);\n`);
  rows.push({ label: 'qctl synth --all (compiled)', argv: [runner, ...synthArgs] });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const table: string[][] = [['process', 'runs', 'wall min', 'wall median', 'wall max', 'CPU median', 'peak RSS', 'vs floor (median)']];
let floor = 0;
let synthMedian = 0;
for (const row of rows) {
  const { wall, rssKiB, cpu } = measure(row);
  const m = median(wall);
  if (!floor) floor = m;
  if (row.label.startsWith('qctl synth') && !synthMedian) synthMedian = m;
  table.push([
    row.label,
    String(runs),
    `${Math.min(...wall).toFixed(0)} ms`,
    `${m.toFixed(0)} ms`,
    `${Math.max(...wall).toFixed(0)} ms`,
    `${median(cpu).toFixed(0)} ms`,
    `${(Math.max(...rssKiB) / 1024).toFixed(0)} MiB`,
    `+${(m - floor).toFixed(0)} ms`,
  ]);
}
rmSync(work, { recursive: true, force: true });

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const row of table) process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}\n`);
const cores = (await import('node:os')).cpus().length;
const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
process.stdout.write(`\ntarget: qctl synth --all (source) median <= ${TARGET_MS} ms: ${synthMedian <= TARGET_MS ? 'met' : 'NOT met'} (${synthMedian.toFixed(0)} ms; ${cores} cores, load average ${load})\n`);
