/**
 * `npm run bench:load`: qctl load against wrk on the same minimal local HTTP server, in one run.
 *   1. wrk's throughput with C connections (closed loop, as fast as it can);
 *   2. qctl load's achieved/target at 1,000 and 3,000 req/s;
 *   3. the highest rate qctl load sustains with < 1 % dropped, with --max-inflight C (so C connections).
 * Targets: achieved/target >= 0.99 at 1,000 req/s; max sustained rate >= 0.8 x wrk's throughput.
 * Environment: BENCH_CONNECTIONS (default 32), BENCH_SECONDS per measurement (default 5).
 */
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { executeLoad } from '../bin/load/run.js';
import { singleUrlScenario } from '../bin/load/scenario.js';
import type { LoadReport } from '../bin/load/report-schema.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end('ok'); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;

async function startServer(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => child.kill('SIGTERM') };
}

async function wrkThroughput(url: string): Promise<number> {
  const threads = Math.min(2, CONNECTIONS);
  const result = await execa('wrk', [`-t${threads}`, `-c${CONNECTIONS}`, `-d${SECONDS}s`, url], { reject: false });
  const match = /Requests\/sec:\s+([\d.]+)/.exec(result.stdout);
  if (!match) throw new Error(`could not read wrk's output (is wrk installed? apt install wrk):\n${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

function load(url: string, rate: number, seconds = SECONDS): Promise<LoadReport> {
  return executeLoad({
    targetUrl: url,
    scenario: singleUrlScenario(new URL(url), 'GET'),
    rate,
    durationMs: seconds * 1000,
    maxInflight: CONNECTIONS,
    timeoutMs: 2000,
    slos: [],
  });
}

const sustained = (r: LoadReport): boolean => r.dropRate < 0.01 && r.errorRate < 0.01;

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...cells.map(line)].join('\n');
}

const server = await startServer();
try {
  process.stderr.write(`bench:load: minimal node:http server at ${server.url}, ${CONNECTIONS} connections, ${SECONDS}s per measurement\n`);
  const wrk = await wrkThroughput(server.url);
  process.stderr.write(`wrk: ${wrk.toFixed(0)} req/s\n`);

  const fixed: LoadReport[] = [];
  for (const rate of [1000, 3000]) {
    fixed.push(await load(server.url, rate));
    process.stderr.write(`qctl load ${rate} req/s: achieved ${fixed.at(-1)!.achievedRate.toFixed(1)}\n`);
  }

  // Step up from half of wrk's throughput in 10 % steps until a step drops >= 1 %, then bisect once between.
  const probes: { rate: number; report: LoadReport }[] = [];
  let best = 0;
  let failedAt = Infinity;
  for (let fraction = 0.5; fraction <= 1.3; fraction += 0.1) {
    const rate = Math.round(wrk * fraction);
    const report = await load(server.url, rate, 3);
    probes.push({ rate, report });
    process.stderr.write(`probe ${rate} req/s: dropped ${(report.dropRate * 100).toFixed(2)}%\n`);
    if (!sustained(report)) {
      failedAt = rate;
      break;
    }
    best = rate;
  }
  if (Number.isFinite(failedAt) && best > 0) {
    const rate = Math.round((best + failedAt) / 2);
    const report = await load(server.url, rate, 3);
    probes.push({ rate, report });
    if (sustained(report)) best = rate;
  }

  const fmtMs = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(2));
  console.log(`\nqctl load vs wrk: minimal local node:http server, ${CONNECTIONS} connections (wrk -c${CONNECTIONS}, qctl --max-inflight ${CONNECTIONS})\n`);
  console.log(
    table(
      ['measurement', 'target req/s', 'achieved req/s', 'achieved/target', 'dropped', 'p50 ms', 'p99 ms', 'goal', 'met'],
      [
        ...fixed.map((r) => [
          `qctl load @ ${r.targetRate}`,
          r.targetRate,
          r.achievedRate.toFixed(1),
          r.rateRatio.toFixed(4),
          `${(r.dropRate * 100).toFixed(2)}%`,
          fmtMs(r.latencyMs?.p50),
          fmtMs(r.latencyMs?.p99),
          r.targetRate === 1000 ? '>= 0.99' : '-',
          r.targetRate === 1000 ? (r.rateRatio >= 0.99 ? 'yes' : 'NO') : '-',
        ]),
        ['wrk throughput (closed loop)', '-', wrk.toFixed(0), '-', '-', '-', '-', '-', '-'],
        [
          'qctl load max sustained (<1% dropped)',
          best,
          best.toFixed(0),
          '-',
          '-',
          '-',
          '-',
          `>= ${(0.8 * wrk).toFixed(0)} (0.8x wrk)`,
          best >= 0.8 * wrk ? `yes (${(best / wrk).toFixed(2)}x)` : `NO (${(best / wrk).toFixed(2)}x)`,
        ],
      ],
    ),
  );
  console.log('\nprobes (3 s each):\n');
  console.log(
    table(
      ['target req/s', 'achieved req/s', 'dropped', 'errors', 'p50 ms', 'p99 ms'],
      probes.map(({ rate, report }) => [
        rate,
        report.achievedRate.toFixed(1),
        `${(report.dropRate * 100).toFixed(2)}%`,
        `${(report.errorRate * 100).toFixed(2)}%`,
        fmtMs(report.latencyMs?.p50),
        fmtMs(report.latencyMs?.p99),
      ]),
    ),
  );
} finally {
  server.stop();
}
