/**
 * `npm run bench:search`: search recall and latency against the search effort, at 10k and
 * 100k quotes, on embedded PGlite and (with QCTL_BENCH_DATABASE_URL, a superuser URL of a
 * PostgreSQL + pgvector server on 127.0.0.1) on a real server, in a scratch database it drops.
 *
 * Rows: the 1423 unique quotes of data/quotes.json, then synthetic ones made deterministically
 * from them (the first half of one quote joined to the second half of another, an author from
 * a third), embedded with the local embedder. Queries: 100 four-word phrases cut from quotes.
 * For each index kind and effort value every query goes through QuoteRepository.search (the
 * API's code path, SET LOCAL in a transaction) once to warm up and once measured; recall@10
 * is the share of the exact top 10 (every row ranked, no index) it returns.
 *
 * Settings: BENCH_SIZES (default "10000,100000"), BENCH_PGLITE_MAX_ROWS (default 10000: larger
 * sizes run on the server only; PGlite is single-threaded WebAssembly), BENCH_QUERIES (100),
 * BENCH_INDEX_MEMORY_MB (1024), BENCH_KINDS ("hnsw,ivfflat"; "none": load and exact only),
 * BENCH_HNSW_BUILDS ("32:128"), BENCH_EF_SEARCH ("40,64,100,200,400"), BENCH_KEEP_DATABASES
 * (1: keep the server database qctl_bench_<rows> and the exact top 10s for the next run).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, withIndexLock } from '../app/db/migrate.js';
import { toSparseLiteral, toVectorLiteral } from '../app/db/pool.js';
import { ensureVectorIndex, SPARSE_INDEX_NAME, type VectorIndexKind } from '../app/db/vector-index.js';
import { LOCAL_EMBEDDING_MODEL, LocalEmbedder } from '../app/embeddings/local.js';
import { contentHash, embeddingText } from '../app/quotes/quote-text.js';
import { nearestStatements, QuoteRepository } from '../app/quotes/repository.js';
import { QuoteWriter } from '../app/seed/writer.js';
import { startEmbeddedPostgres } from '../bin/dev/embedded-postgres.js';
import { startServerDatabase } from '../tests/helpers/postgres.js';
import { QUOTES_PATH } from '../tests/helpers/quotes-fixture.js';

const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map((s) => Number(s.trim()));
const pgliteMaxRows = Number(process.env.BENCH_PGLITE_MAX_ROWS ?? 10_000);
const queryCount = Number(process.env.BENCH_QUERIES ?? 100);
const indexMemoryMb = Number(process.env.BENCH_INDEX_MEMORY_MB ?? 1024);
const kinds = (process.env.BENCH_KINDS ?? 'hnsw,ivfflat')
  .split(',')
  .map((k) => k.trim())
  .filter((k) => k && k !== 'none') as VectorIndexKind[];
const EFFORTS: Record<VectorIndexKind, number[]> = {
  hnsw: (process.env.BENCH_EF_SEARCH ?? '40,64,100,200,400').split(',').map(Number),
  ivfflat: [1, 5, 10, 20, 40],
};
// HNSW graphs to build, as m:ef_construction (the app's graph above 5,000 rows: 32:128).
const hnswBuilds = (process.env.BENCH_HNSW_BUILDS ?? '32:128').split(',').map((b) => {
  const [m, efConstruction] = b.split(':').map(Number);
  return { m: m!, efConstruction: efConstruction! };
});
const LIMIT = 10;
const keepDatabases = process.env.BENCH_KEEP_DATABASES === '1';

const embedder = new LocalEmbedder();
const source = uniqueQuotes();

interface Quote {
  quote: string;
  author: string;
}

function uniqueQuotes(): Quote[] {
  const seen = new Set<string>();
  const out: Quote[] = [];
  for (const q of JSON.parse(readFileSync(QUOTES_PATH, 'utf8')) as Quote[]) {
    const quote = q.quote.trim();
    const author = q.author.trim();
    const hash = contentHash(quote, author);
    if (seen.has(hash)) continue;
    seen.add(hash);
    out.push({ quote, author });
  }
  return out;
}

/** Row i of the benchmark table: a real quote first, then deterministic blends of two. */
function syntheticQuote(i: number): Quote {
  const n = source.length;
  if (i < n) return source[i]!;
  const a = source[i % n]!.quote.split(/\s+/);
  const b = source[(i * 7 + Math.floor(i / n)) % n]!.quote.split(/\s+/);
  const quote = [...a.slice(0, Math.ceil(a.length / 2)), ...b.slice(Math.floor(b.length / 2))].join(' ');
  return { quote: `${quote} (${i})`, author: source[(i * 13) % n]!.author };
}

function queryPhrase(i: number): string {
  const words = source[(i * 37 + 11) % source.length]!.quote.split(/\s+/);
  const start = (i * 3) % Math.max(1, words.length - 4);
  return words.slice(start, start + 4).join(' ');
}

async function load(pool: pg.Pool, rows: number): Promise<number> {
  const started = performance.now();
  await migrate(pool);
  const [{ count } = { count: 0 }] = (await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM quotes')).rows;
  if (count === rows) return 0; // a kept database (BENCH_KEEP_DATABASES) already holds these rows
  if (count > 0) await pool.query('TRUNCATE quotes');
  const writer = await QuoteWriter.open(pool);
  try {
    for (let start = 0; start < rows; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, rows - start) }, (_, k) => syntheticQuote(start + k));
      const { vectors } = await embedder.embed(batch.map((q) => embeddingText(q.quote, q.author)));
      await writer.write(
        batch.map((q, k) => ({ quote: q.quote, author: q.author, hash: contentHash(q.quote, q.author), vector: vectors[k]! })),
        embedder.model,
      );
    }
  } finally {
    writer.release();
  }
  await pool.query('ANALYZE quotes');
  return performance.now() - started;
}

/** The exact top 10 of each query (every row ranked, no index), and how long each took. */
async function exactTopIds(pool: pg.Pool, vectors: number[][]): Promise<{ truth: number[][]; latencies: number[] }> {
  const client = await pool.connect();
  try {
    await client.query('SET enable_indexscan = off; SET enable_bitmapscan = off');
    const truth: number[][] = [];
    const latencies: number[] = [];
    for (const vector of vectors) {
      const started = performance.now();
      const { rows } = await client.query<{ id: number }>(
        `SELECT id::float8 AS id FROM quotes WHERE embedding_model = $2
          ORDER BY round((1 - (embedding <=> $1::vector))::numeric, 4) DESC, id LIMIT ${LIMIT}`,
        [toVectorLiteral(vector), embedder.model],
      );
      latencies.push(performance.now() - started);
      truth.push(rows.map((r) => r.id));
    }
    return { truth, latencies: latencies.sort((a, b) => a - b) };
  } finally {
    await client.query('RESET enable_indexscan; RESET enable_bitmapscan');
    client.release();
  }
}

/**
 * With BENCH_KEEP_DATABASES=1 the exact top 10s (minutes at 100,000 rows) are kept in the
 * temp directory beside the kept database, and reused while both are unchanged.
 */
async function cachedTruth(
  name: string,
  compute: () => Promise<{ truth: number[][]; latencies: number[] }>,
): Promise<{ truth: number[][]; latencies: number[] }> {
  if (!keepDatabases) return compute();
  const file = join(tmpdir(), `qctl-bench-truth-${name.replace(/[^\w.-]+/g, '_')}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { truth: number[][]; latencies: number[] };
  const result = await compute();
  writeFileSync(file, JSON.stringify(result));
  return result;
}

/**
 * What the planner does with the search's query at this effort (the repository's own statements:
 * the local embedder's query goes to the sparse index while the table has one).
 */
async function planOf(
  pool: pg.Pool,
  effort: { efSearch: number; probes: number },
  vector: number[],
): Promise<'index' | 'sparse index' | 'full scan'> {
  const { rows } = await pool.query<{ sparse: boolean }>('SELECT to_regclass($1) IS NOT NULL AS sparse', [SPARSE_INDEX_NAME]);
  const sparse = embedder.model === LOCAL_EMBEDDING_MODEL && rows[0]!.sparse;
  const literal = sparse ? toSparseLiteral(vector) : toVectorLiteral(vector);
  const { settings, select } = nearestStatements(effort, literal, embedder.model, LIMIT);
  const results = (await pool.query(`${settings}; EXPLAIN ${select}`)) as unknown as pg.QueryResult<{ 'QUERY PLAN': string }>[];
  const plan = results[results.length - 1]!.rows.map((r) => r['QUERY PLAN']).join('\n');
  if (plan.includes(SPARSE_INDEX_NAME)) return 'sparse index';
  return plan.includes('quotes_embedding_idx') ? 'index' : 'full scan';
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

interface Result {
  backend: string;
  rows: number;
  kind: string;
  build: string;
  effort: string;
  /** Whether the planner used the vector index for the query (else it ranked every row). */
  plan: 'index' | 'sparse index' | 'full scan';
  recall: number;
  p50: number;
  p99: number;
}

async function measure(backend: string, url: string, rows: number, results: Result[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const loadMs = await load(pool, rows);
    console.error(`${backend} ${rows}: loaded in ${(loadMs / 1000).toFixed(1)} s`);
    const { vectors } = await embedder.embed(Array.from({ length: queryCount }, (_, i) => queryPhrase(i)));
    const exactStarted = performance.now();
    const { truth, latencies: exactLatencies } = await cachedTruth(`${backend}-${rows}-${queryCount}`, () => exactTopIds(pool, vectors));
    console.error(
      `${backend} ${rows}: exact top 10 of ${queryCount} queries in ${((performance.now() - exactStarted) / 1000).toFixed(1)} s`,
    );
    const record = async (
      kind: string,
      build: string,
      effort: string,
      repository: QuoteRepository,
      plan: () => Promise<Result['plan']>,
    ) => {
      const search = (vector: number[]) => repository.search({ vector, model: embedder.model, limit: LIMIT });
      for (const vector of vectors) await search(vector); // warm-up
      const latencies: number[] = [];
      let hits = 0;
      for (const [i, vector] of vectors.entries()) {
        const started = performance.now();
        const found = await search(vector);
        latencies.push(performance.now() - started);
        hits += found.filter((r) => truth[i]!.includes(r.id)).length;
      }
      latencies.sort((a, b) => a - b);
      const last: Result = {
        backend,
        rows,
        kind,
        build,
        effort,
        plan: await plan(),
        recall: hits / (queryCount * LIMIT),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
      results.push(last);
      console.error(
        `  ${kind} ${effort} (${last.plan}): recall ${last.recall.toFixed(3)}, p50 ${last.p50.toFixed(2)} ms, p99 ${last.p99.toFixed(2)} ms`,
      );
    };
    // The exact plan: the ground truth queries rank every row (their first run, cold).
    results.push({
      backend,
      rows,
      kind: 'none',
      build: '',
      effort: 'exact',
      plan: 'full scan',
      recall: 1,
      p50: percentile(exactLatencies, 50),
      p99: percentile(exactLatencies, 99),
    });
    const builds = kinds.flatMap((kind): { kind: VectorIndexKind; hnsw?: { m: number; efConstruction: number } }[] =>
      kind === 'hnsw' ? hnswBuilds.map((hnsw) => ({ kind, hnsw })) : [{ kind }],
    );
    for (const { kind, hnsw } of builds) {
      const index = await withIndexLock(pool, (client) =>
        ensureVectorIndex(client, {
          kind,
          lists: Math.max(1, Math.round(rows / 1000)),
          hnsw,
          build: { memoryMb: indexMemoryMb, parallelWorkers: 2 },
        }),
      );
      const label = hnsw
        ? `hnsw m ${hnsw.m}, ef_construction ${hnsw.efConstruction}`
        : `ivfflat, ${Math.max(1, Math.round(rows / 1000))} lists`;
      const build = `${(index.buildMs / 1000).toFixed(1)} s`;
      console.error(`${backend} ${rows}: ${label} built in ${build}`);
      for (const effort of EFFORTS[kind]) {
        const setting = kind === 'hnsw' ? { efSearch: effort, probes: 1 } : { efSearch: 40, probes: effort };
        await record(label, build, `${kind === 'hnsw' ? 'ef_search' : 'probes'} ${effort}`, new QuoteRepository(pool, setting), () =>
          planOf(pool, setting, vectors[0]!),
        );
      }
    }
  } finally {
    await pool.end();
  }
}

/**
 * BENCH_KEEP_DATABASES=1: the server database for `rows` is qctl_bench_<rows>, made once and
 * kept (loading 100,000 rows and building their index takes many minutes), used as the superuser.
 */
async function keptDatabase(
  serverUrl: string,
  rows: number,
): Promise<{ url: string; admin: <T>(sql: string) => Promise<T[]>; stop(): Promise<void> }> {
  const name = `qctl_bench_${rows}`;
  const server = new pg.Client({ connectionString: serverUrl });
  await server.connect();
  try {
    const { rowCount } = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await server.query(`CREATE DATABASE ${name}`);
  } finally {
    await server.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const admin = async <T>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  await admin('CREATE EXTENSION IF NOT EXISTS vector; CREATE EXTENSION IF NOT EXISTS pg_trgm');
  return { url: url.toString(), admin, stop: async () => undefined };
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const serverUrl = process.env.QCTL_BENCH_DATABASE_URL;
  for (const rows of sizes) {
    if (rows <= pgliteMaxRows) {
      const embedded = await startEmbeddedPostgres();
      try {
        await measure('PGlite', embedded.url, rows, results);
      } finally {
        await embedded.stop();
      }
    } else {
      console.error(`PGlite ${rows}: skipped (BENCH_PGLITE_MAX_ROWS=${pgliteMaxRows})`);
    }
    if (serverUrl) {
      const database = keepDatabases ? await keptDatabase(serverUrl, rows) : await startServerDatabase(serverUrl);
      try {
        const [version] = await database.admin<{ v: string }>("SELECT current_setting('server_version') AS v");
        await measure(`PostgreSQL ${version!.v.split(' ')[0]}`, database.url, rows, results);
      } finally {
        await database.stop();
      }
    }
  }
  console.log(
    `\nsearch recall@${LIMIT} and latency (${queryCount} queries, local embedder; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)})\n`,
  );
  console.log('| backend | rows | index (build) | effort | plan | recall@10 | p50 ms | p99 ms |');
  console.log('| --- | ---: | --- | --- | --- | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.backend} | ${r.rows} | ${r.kind} (${r.build}) | ${r.effort} | ${r.plan} | ${r.recall.toFixed(3)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
    );
  }
}

await main();
