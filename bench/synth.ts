/**
 * `npm run bench:synth`: the CLI as whole processes (wall time, CPU time, peak RSS), next to
 * their floors, in one run, each as a ratio to `node -e 0` measured in the same run (absolute
 * times drift with the machine's load; the ratios hold):
 *   node -e 0                      the floor of any Node process (the yardstick)
 *   import cdk8s                   the floor of synthesis (cdk8s is what every chart builds on)
 *   qctl --version, qctl synth --help, qctl synth --all   as `npx qctl` runs after `npm ci`: the
 *                                  CLI bundle (build/cli/, made by the prepare script; rebuilt here
 *                                  into .qctl/bench-cli) and from source (through tsx, how
 *                                  bin/qctl.mjs runs while a source is newer than the bundle);
 *                                  synth three times: "first run" with an empty cache (every object's
 *                                  schema checked, qctl.config.ts compiled); "synth cache off"
 *                                  (QCTL_SYNTH_CACHE=0: synthesized and validated again, the schema
 *                                  record and compiled config reused); then the usual repeated run,
 *                                  which reuses the last objects while nothing they came from
 *                                  changed (infra/synth-cache.ts). Every row but "first run" is
 *                                  run once untimed first, so it measures the repeated case.
 * Goals (bundle rows, issue #24): --version <= 1.3x node -e 0; synth --all <= 0.5 s wall and
 * <= 0.6 s CPU on a quiet machine (the verdict lines print the ratios and the load average).
 *   --runs N      repetitions per row (default 5; the table shows min / median / max)
 *   --no-bundle   skip the bundle rows
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 5) || 5;
const bundled = !args.includes('--no-bundle');
/** Goals: a ratio to node -e 0 (startup) or absolute quiet-machine times (synth). */
const GOALS = { startup: { ratio: 1.3 }, synth: { wallMs: 500, cpuMs: 600 } } as const;

const work = mkdtempSync(join(tmpdir(), 'qctl-bench-synth-'));
const rssFile = join(work, 'rss');
// The schema record (infra/validation/schema.ts) is kept here, outside the user's ~/.cache.
const warmCache = join(work, 'warm-cache');
/**
 * Preloaded into each benchmarked process (--require: CommonJS, so the `node -e 0` floor does not
 * start the ES module loader it would not otherwise start): on exit it writes the process's peak
 * resident set size (KiB) and CPU time (user + system, microseconds) from getrusage.
 */
const preload = join(work, 'rss.cjs');
writeFileSync(
  preload,
  `process.on('exit', () => { const u = process.resourceUsage(); require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, u.maxRSS + ' ' + (u.userCPUTime + u.systemCPUTime)); });\n`,
);

interface Row {
  label: string;
  argv: string[];
  env?: Record<string, string>;
  /** Which goal applies (bundle rows only). */
  goal?: keyof typeof GOALS;
  floor?: boolean;
  /** A new, empty schema record (QCTL_CACHE_DIR) for every run: the first synth on a machine. */
  coldCache?: boolean;
}

function measure(row: Row): { wall: number[]; rssKiB: number[]; cpu: number[] } {
  const wall: number[] = [];
  const rssKiB: number[] = [];
  const cpu: number[] = [];
  // The untimed first run of a warm row fills the caches it reuses (schema record, compiled config, synth record).
  const start = row.coldCache || row.floor ? 0 : -1;
  for (let i = start; i < runs; i += 1) {
    rmSync(rssFile, { force: true });
    const started = process.hrtime.bigint();
    const cacheDir = row.coldCache ? mkdtempSync(join(work, 'cold-cache-')) : warmCache;
    const child = spawnSync(process.execPath, ['--require', preload, ...row.argv], {
      cwd: work,
      env: { ...process.env, ...row.env, CI: 'true', QCTL_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (child.status !== 0) throw new Error(`${row.label} exited ${child.status}: ${child.stderr}`);
    if (i < 0) continue;
    wall.push(elapsed);
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

if (bundled) {
  const out = join(ROOT, '.qctl', 'bench-cli');
  process.stderr.write('bundling the CLI into .qctl/bench-cli (scripts/bundle-cli.mjs) ...\n');
  const bundle = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs'), out], { stdio: 'inherit' });
  if (bundle.status !== 0) throw new Error('bundling failed');
  // What bin/qctl.mjs does with a fresh build/cli/, pointed at the bench bundle.
  const runner = join(work, 'run-bundle.mjs');
  writeFileSync(
    runner,
    `const entry = await import(${JSON.stringify(pathToFileURL(join(out, 'qctl.js')).href)});\nprocess.exitCode = await entry.main(process.argv);\n`,
  );
  rows.push(
    { label: 'qctl --version (bundle)', argv: [runner, '--version'], goal: 'startup' },
    { label: 'qctl synth --help (bundle)', argv: [runner, 'synth', '--help'], goal: 'startup' },
    { label: 'qctl synth --all (bundle, first run)', argv: [runner, ...synthArgs], coldCache: true },
    { label: 'qctl synth --all (bundle, synth cache off)', argv: [runner, ...synthArgs], env: { QCTL_SYNTH_CACHE: '0' } },
    { label: 'qctl synth --all (bundle)', argv: [runner, ...synthArgs], goal: 'synth' },
  );
}
rows.push(
  { label: 'qctl --version (source, tsx)', argv: [qctl, '--version'], env: fromSource },
  { label: 'qctl synth --help (source, tsx)', argv: [qctl, 'synth', '--help'], env: fromSource },
  { label: 'qctl synth --all (source, tsx, first run)', argv: [qctl, ...synthArgs], env: fromSource, coldCache: true },
  { label: 'qctl synth --all (source, tsx)', argv: [qctl, ...synthArgs], env: fromSource },
);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const table: string[][] = [
  ['process', 'runs', 'wall min', 'wall median', 'wall max', 'CPU median', 'peak RSS', 'wall / node -e 0', 'CPU / node -e 0', 'goal'],
];
const loadBefore = loadavg()[0]!;
let floorWall = 0;
let floorCpu = 0;
const verdicts: string[] = [];
for (const row of rows) {
  const { wall, rssKiB, cpu } = measure(row);
  const m = median(wall);
  const c = median(cpu);
  if (!floorWall) [floorWall, floorCpu] = [m, c];
  let goal = row.floor ? 'floor' : '';
  if (row.goal === 'startup') {
    const ratio = m / floorWall;
    goal = `<= ${GOALS.startup.ratio}x`;
    verdicts.push(
      `${row.label}: ${ratio.toFixed(2)}x node -e 0 (wall), goal <= ${GOALS.startup.ratio}x: ${ratio <= GOALS.startup.ratio ? 'met' : 'NOT met'}`,
    );
  } else if (row.goal === 'synth') {
    const { wallMs, cpuMs } = GOALS.synth;
    goal = `<= ${wallMs} ms wall, ${cpuMs} ms CPU (quiet)`;
    verdicts.push(
      `${row.label}: ${m.toFixed(0)} ms wall (${(m / floorWall).toFixed(1)}x node -e 0), ${c.toFixed(0)} ms CPU (${(c / floorCpu).toFixed(1)}x); ` +
        `goal on a quiet machine <= ${wallMs} ms wall (${(wallMs / floorWall).toFixed(1)}x this run's node -e 0) and <= ${cpuMs} ms CPU: ` +
        `${m <= wallMs && c <= cpuMs ? 'met' : 'NOT met at this load'}`,
    );
  }
  table.push([
    row.label,
    String(runs),
    `${Math.min(...wall).toFixed(0)} ms`,
    `${m.toFixed(0)} ms`,
    `${Math.max(...wall).toFixed(0)} ms`,
    `${c.toFixed(0)} ms`,
    `${(Math.max(...rssKiB) / 1024).toFixed(0)} MiB`,
    `${(m / floorWall).toFixed(2)}x`,
    `${(c / floorCpu).toFixed(2)}x`,
    goal,
  ]);
}
rmSync(work, { recursive: true, force: true });

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
for (const row of table)
  process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}\n`);
process.stdout.write(
  `\n${verdicts.join('\n')}\n(${cpus().length} cores, load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after: ` +
    `absolute times on a busy machine exceed the quiet goals; the ratios to node -e 0 are the steadier numbers)\n`,
);
