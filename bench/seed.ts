/**
 * `npm run bench:seed`: how fast quotes load, through each embedding path, and how fast
 * `qctl dev` comes up. Prints a table; targets from issue 3.
 *   1. 1454 quotes, local embedder, into embedded PGlite (target <= 5 s)
 *   2. the same through a local OpenAI-compatible server (request count, elapsed)
 *   3. the re-run (target <= 1 s, 0 requests)
 *   4. `qctl dev` first start (includes seeding) and second start (target < 15 s)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSeed, type SeedRunSettings } from '../app/seed/run.js';
import type { SeedSummary } from '../app/seed/seeder.js';
import { startEmbeddedPostgres } from '../bin/dev/embedded-postgres.js';
import { startDevProcess } from '../tests/dev/dev-process.js';
import { freePort } from '../tests/helpers/ports.js';
import { QUOTES_PATH } from '../tests/helpers/quotes-fixture.js';
import { startFakeOpenAI } from '../tests/seed/fake-openai.js';

interface Row {
  case: string;
  elapsed: string;
  requests: string;
  detail: string;
  target: string;
}
const rows: Row[] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function seedOnce(url: string, embedding: SeedRunSettings['embedding']): Promise<{ summary: SeedSummary; wallMs: number }> {
  const started = performance.now();
  const result = await runSeed({
    database: { connectionString: url },
    source: `file:${QUOTES_PATH}`,
    embedding,
    vectorIndex: { kind: 'hnsw' },
  });
  if (result.mode !== 'seed') throw new Error('expected a seed');
  return { summary: result.summary, wallMs: performance.now() - started };
}

const localEmbedding = { embeddingModel: 'text-embedding-3-small', embeddingTimeoutMs: 10_000, embeddingMaxRetries: 3 };

async function benchSeeds(): Promise<void> {
  const openai = await startFakeOpenAI();
  for (const path of ['local embedder', 'OpenAI-compatible server'] as const) {
    const database = await startEmbeddedPostgres();
    try {
      const embedding =
        path === 'local embedder' ? localEmbedding : { ...localEmbedding, openaiApiKey: 'sk-bench', openaiBaseUrl: openai.url };
      openai.reset();
      const first = await seedOnce(database.url, embedding);
      const firstRequests = openai.requests.length;
      rows.push({
        case: `seed 1454 quotes, ${path}`,
        elapsed: seconds(first.wallMs),
        requests: String(path === 'local embedder' ? first.summary.embeddingRequests : firstRequests),
        detail: `new ${first.summary.new}, skipped ${first.summary.skipped}, tokens ${first.summary.tokens}, HNSW build ${seconds(first.summary.indexElapsedMs)} of it`,
        target: path === 'local embedder' ? '<= 5 s' : 'ceil(1423/256) = 6 requests',
      });
      openai.reset();
      const again = await seedOnce(database.url, embedding);
      rows.push({
        case: `re-run, ${path}`,
        elapsed: seconds(again.wallMs),
        requests: String(openai.requests.length + again.summary.embeddingRequests),
        detail: `new ${again.summary.new}, skipped ${again.summary.skipped}`,
        target: '<= 1 s, 0 requests',
      });
    } finally {
      await database.stop();
    }
  }
  await openai.stop();
}

async function benchDev(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'qctl-bench-dev-'));
  try {
    for (const label of ['qctl dev first start (seeds 1454 quotes)', 'qctl dev second start']) {
      const started = performance.now();
      const dev = await startDevProcess(['--dev-dir', join(dir, 'dev'), '--port', String(await freePort()), '--quotes', QUOTES_PATH]);
      const wallMs = performance.now() - started;
      rows.push({
        case: label,
        elapsed: seconds(wallMs),
        requests: '-',
        detail: `ready after ${seconds(dev.ready.startupMs)} inside the process${dev.ready.seeded ? `, seeded ${dev.ready.seeded.new}` : ', no seed'}`,
        target: label.includes('second') ? '< 15 s' : '-',
      });
      dev.child.kill('SIGTERM');
      const exit = await dev.child;
      if (exit.exitCode !== 0) throw new Error(`qctl dev exited with ${exit.exitCode}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function printTable(): void {
  const headers: Row = { case: 'case', elapsed: 'elapsed', requests: 'requests', detail: 'detail', target: 'target' };
  const keys = Object.keys(headers) as (keyof Row)[];
  const widths = keys.map((k) => Math.max(headers[k].length, ...rows.map((r) => r[k].length)));
  const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

console.log(
  `bench:seed on ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (HNSW index, PGlite in process)`,
);
await benchSeeds();
await benchDev();
printTable();
