import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import pg from 'pg';
import { JobError, usageError } from '../cli/errors.js';
import { describeDataDamage, formatDataDamage, isDataDamage, type DataDamage } from '../../app/db/data-damage.js';
import { errnoCode, formatDataDirProblem, freeBytes } from './data-dir-problem.js';
import {
  acquireDevLock,
  describeHolder,
  devPaths,
  readLiveDevState,
  secondDevHint,
  staleLockHint,
  type DevLock,
  type DevPaths,
} from './dev-state.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { assertPortFree, portInUse } from './port-check.js';
import type { SeedSummary } from '../../app/seed/seeder.js';
import type { SourcePage } from '../../app/seed/sources.js';

export interface DevOptions {
  port: number;
  host: string;
  /** In-memory database, gone on exit. */
  ephemeral: boolean;
  /** Seed from this JSON file on first start instead of the bundled data/quotes.json. */
  quotesFile?: string;
  devDir?: string;
  /** Port of the embedded Postgres server; 0 picks a free one. */
  dbPort: number;
  /** Seed from this DummyJSON API on first start instead of the bundled file. */
  dummyJsonUrl?: string;
  env: NodeJS.ProcessEnv;
  /** Progress and notices for people (stderr). */
  info(line: string): void;
  warn(line: string): void;
  interactive: boolean;
  /** Rebuild the indexes of the quotes (and of their TOAST data) before anything reads them. */
  reindex?: boolean;
  /** Aborts start-up (Ctrl-C while seeding): everything started so far is stopped. */
  signal?: AbortSignal;
}

export interface DevService {
  url: string;
  pageUrl: string;
  apiUrl: string;
  metricsUrl: string;
  databaseUrl: string;
  dataDir?: string;
  cache: 'redis' | 'memory';
  embeddings: string;
  /** Set when this start seeded the (empty) database. */
  seed?: SeedSummary & { fallback: boolean };
  startupMs: number;
  /** Stops the API, then the database (flushing it to disk). Idempotent. */
  stop(): Promise<void>;
}

/**
 * The whole app on embedded defaults: PGlite behind the Postgres wire protocol (so the
 * app runs its production `pg` code path), migrations, a seed on first start, then the
 * API itself (in-memory cache unless REDIS_URL, local embedder unless OPENAI_API_KEY).
 */
export async function startDev(options: DevOptions): Promise<DevService> {
  const started = performance.now();
  const paths: DevPaths | undefined = options.ephemeral ? undefined : devPaths(options.devDir);
  // A busy port is most often a first `qctl dev`: then it holds the directory too, and the hint says so.
  const runningDev = paths ? await readLiveDevState(paths) : undefined;
  await assertPortFree(
    options.host,
    options.port,
    '--port',
    paths && runningDev?.owner === 'dev' ? secondDevHint(paths, runningDev, options.port) : undefined,
  );
  await assertPortFree('127.0.0.1', options.dbPort, '--db-port');

  const [
    { loadConfig, ConfigError, startService, vectorIndexSettings },
    { migrate },
    { runSeed },
    { SeedError },
    progress,
    { createLogger },
    sources,
  ] = await Promise.all([
    import('../../app/main.js'),
    import('../../app/db/migrate.js'),
    import('../../app/seed/run.js'),
    import('../../app/seed/errors.js'),
    import('../../app/seed/progress.js'),
    import('../../app/observability/logger.js'),
    import('../../app/seed/sources.js'),
  ]);

  let config;
  try {
    config = loadConfig({
      ...options.env,
      // qctl dev always runs against its own embedded database.
      DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:5432/postgres',
      PORT: String(options.port),
      HOST: options.host,
      LOG_LEVEL: options.env.LOG_LEVEL ?? 'warn',
    });
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message.replace(/\n\s*/g, ' '));
    throw error;
  }

  // Inputs are checked before anything starts: a missing --quotes file fails in milliseconds.
  const quotesFromFlag = options.quotesFile
    ? await sources.preloadSource({ kind: 'file', path: options.quotesFile }, { fileFlag: '--quotes ./quotes.json' })
    : undefined;

  let lock: DevLock | undefined;
  if (paths) {
    const attempt = await acquireDevLock(paths, 'dev').catch(async (error: unknown) => {
      const code = errnoCode(error);
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
      const problem = { kind: 'no-space' as const, path: paths.dir, freeBytes: await freeBytes(paths.dir) };
      throw new JobError(formatDataDirProblem(paths.dataDir, problem, !(await stat(paths.dataDir).catch(() => undefined))));
    });
    if ('holder' in attempt) {
      const holder = attempt.holder;
      const fix = holder.owner === 'dev' ? `stop it first (kill ${holder.pid})` : 'wait for it to finish';
      throw usageError(
        `${describeHolder(paths, holder)}: ${fix}, or use another directory (--dev-dir DIR), or run a throwaway one with --ephemeral (${staleLockHint(paths, holder)})`,
      );
    }
    lock = attempt.lock;
  }
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse().splice(0)) await step().catch(() => undefined);
  };
  if (lock) cleanups.push(() => lock.release());

  try {
    options.info(paths ? `starting embedded Postgres (data in ${paths.dataDir})` : 'starting embedded Postgres (ephemeral, in memory)');
    const database: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir: paths?.dataDir, port: options.dbPort });
    cleanups.push(() => database.stop());
    await lock?.update({ databaseUrl: database.url });
    const databaseConfig = { connectionString: database.url };

    options.signal?.throwIfAborted();
    if (options.reindex) await reindexQuotes(database.url, options.info);
    const empty = await migrateAndCheckEmpty(database.url, migrate, paths?.dataDir);
    // A first-start seed that was killed left this marker: resume it (the seed is idempotent).
    const interrupted = paths ? await readFirstSeedMarker(paths) : undefined;
    let seed: DevService['seed'];
    if (empty || interrupted) {
      const printer = progress.createProgressPrinter(process.stderr, options.interactive);
      const seedOnce = (source: string, prepared?: AsyncIterable<SourcePage>) =>
        runSeed({
          database: databaseConfig,
          source,
          prepared,
          dummyJsonUrl: options.dummyJsonUrl,
          // Offline is common on a laptop: fail over to the bundled file quickly.
          fetchRetries: 1,
          fetchTimeoutMs: 5_000,
          embedding: config,
          vectorIndex: vectorIndexSettings(config),
          onSeedProgress: (p) => printer.seed(p),
          signal: options.signal,
        });
      const bundled = sources.bundledQuotesFile();
      const plan = firstSeedPlan(options, bundled, interrupted?.source);
      if (paths) await writeFirstSeedMarker(paths, plan.source);
      options.info(
        interrupted
          ? `resuming the first-start seed that was interrupted: quotes from ${plan.label} (already stored quotes are skipped)`
          : `first start: seeding quotes from ${plan.label}`,
      );
      try {
        const result = await seedOnce(plan.source, plan.source === `file:${options.quotesFile}` ? quotesFromFlag : undefined);
        printer.finish();
        if (result.mode === 'seed') seed = { ...result.summary, fallback: false };
      } catch (error) {
        printer.finish();
        if (options.signal?.aborted) throw error;
        if (!(error instanceof SeedError) || plan.source !== 'dummyjson') throw error;
        const fallback = bundled ? `file:${bundled}` : 'sample';
        options.warn(
          `warning: ${(error as Error).message.split(': check the network')[0]}; loaded ${bundled ? `the bundled ${displayPath(bundled)} instead` : 'the small built-in sample instead'}. ` +
            'Run `qctl seed` when online to add what DummyJSON has beyond it',
        );
        if (paths) await writeFirstSeedMarker(paths, fallback);
        const result = await seedOnce(fallback);
        printer.finish();
        if (result.mode === 'seed') seed = { ...result.summary, fallback: true };
      }
      if (paths) await rm(paths.firstSeedFile, { force: true });
      if (seed) options.info(progress.formatSeedSummary(seed)[0]!);
    }

    options.signal?.throwIfAborted();
    const log = createLogger(config.logLevel, process.stderr);
    const service = await startService(
      { ...config, database: databaseConfig },
      { log, migrate: true, rebuildHint: rebuildHint(paths?.dataDir) },
    ).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw portInUse(options.port);
      throw error;
    });
    cleanups.push(() => service.stop());
    await service.databaseReady;
    // Ready only when the quotes read the way the API reads them (the same check as /readyz).
    const readiness = await service.readiness.check();
    if (readiness.damage) throw damagedError(paths?.dataDir, readiness.damage);
    if (!readiness.ready) throw new JobError(`the quote API is not ready: ${readiness.reason}`);
    await lock?.update({ apiUrl: service.url });

    let stopping: Promise<void> | undefined;
    return {
      url: service.url,
      pageUrl: `${service.url}/`,
      apiUrl: `${service.url}/quotes`,
      metricsUrl: `${service.url}/metrics`,
      databaseUrl: database.url,
      dataDir: paths?.dataDir,
      cache: config.redisUrl ? 'redis' : 'memory',
      embeddings: service.embedder.model,
      seed,
      startupMs: Math.round(performance.now() - started),
      stop: () => (stopping ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    if (paths && !(error instanceof JobError) && !options.signal?.aborted) {
      const code = errnoCode(error);
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new JobError(
          formatDataDirProblem(paths.dataDir, { kind: 'no-space', path: paths.dir, freeBytes: await freeBytes(paths.dir) }, false) +
            ' (an interrupted first-start seed resumes)',
        );
      }
    }
    throw error;
  }
}

async function reindexQuotes(url: string, info: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ present: boolean }>("SELECT to_regclass('quotes') IS NOT NULL AS present");
    if (!rows[0]!.present) return;
    info('rebuilding the indexes of the quotes (REINDEX TABLE quotes)');
    await client.query('REINDEX TABLE quotes');
  } finally {
    await client.end();
  }
}

/** How to get lost quotes back in the dev database (or the ephemeral one: start again). */
function rebuildHint(dataDir: string | undefined): string {
  if (!dataDir) return 'stop qctl dev and start it again';
  return `move the directory aside (mv ${dataDir} ${dataDir}.broken) and run qctl dev again to re-seed, or restore a backup of it`;
}

/** One line naming the damaged file and the fix; an index is rebuilt by qctl dev --reindex, no data lost. */
function damagedError(dataDir: string | undefined, damage: DataDamage): JobError {
  const line = formatDataDamage(damage);
  const where = dataDir ? ` in ${dataDir}` : '';
  if (damage.kind === 'index') {
    return new JobError(
      line
        .replace('the database is damaged', `the database${where} is damaged`)
        .replace(/rebuild the index with REINDEX INDEX \S+$/, 'rebuild it with qctl dev --reindex'),
    );
  }
  return new JobError(line.replace('the database is damaged', `the database${where} is damaged`));
}

/**
 * Where the first-start seed reads from: --quotes, else --dummyjson-url, else the quotes
 * shipped in data/quotes.json (the same DummyJSON list, offline and in seconds), else DummyJSON.
 * An interrupted first seed resumes from the source it started with unless --quotes says otherwise.
 */
function firstSeedPlan(
  options: DevOptions,
  bundled: string | undefined,
  resumeFrom: string | undefined,
): { source: string; label: string } {
  const source = options.quotesFile
    ? `file:${options.quotesFile}`
    : (resumeFrom ?? (options.dummyJsonUrl || !bundled ? 'dummyjson' : `file:${bundled}`));
  if (source === 'dummyjson') return { source, label: `DummyJSON (${options.dummyJsonUrl ?? 'https://dummyjson.com'})` };
  if (source === 'sample') return { source, label: 'the built-in sample' };
  const file = source.slice('file:'.length);
  return { source, label: file === bundled ? `${displayPath(file)} (DummyJSON's quote list, shipped with qctl)` : file };
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

async function readFirstSeedMarker(paths: DevPaths): Promise<{ source: string } | undefined> {
  try {
    const marker = JSON.parse(await readFile(paths.firstSeedFile, 'utf8')) as { source?: unknown };
    return typeof marker.source === 'string' ? { source: marker.source } : undefined;
  } catch {
    return undefined;
  }
}

async function writeFirstSeedMarker(paths: DevPaths, source: string): Promise<void> {
  await writeFile(paths.firstSeedFile, `${JSON.stringify({ source, startedAt: new Date().toISOString() })}\n`);
}

async function migrateAndCheckEmpty(
  url: string,
  migrate: (pool: pg.Pool) => Promise<unknown>,
  dataDir: string | undefined,
): Promise<boolean> {
  const rebuild = rebuildHint(dataDir);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(pool);
    const { rows } = await pool.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM quotes) AS empty');
    if (rows[0]!.empty) await refuseTruncatedTable(pool, dataDir, rebuild);
    return rows[0]!.empty;
  } catch (error) {
    if (isDataDamage(error)) throw damagedError(dataDir, await describeDataDamage(pool, error, rebuild));
    throw error;
  } finally {
    await pool.end();
  }
}

/**
 * An empty quotes table is a new database, or a table file cut short (a scan reads no rows,
 * it does not fail). Told apart by what survives elsewhere: the primary key still points at
 * rows (reading them fails), or the catalog recorded pages and rows the file no longer has.
 * Seeding on top would hide the loss.
 */
async function refuseTruncatedTable(pool: pg.Pool, dataDir: string | undefined, rebuild: string): Promise<void> {
  await pool.query('SET enable_seqscan = off; SELECT id FROM quotes ORDER BY id LIMIT 1; RESET enable_seqscan');
  const { rows } = await pool.query<{ pages: number; tuples: number; bytes: string; file: string }>(
    `SELECT relpages AS pages, reltuples AS tuples, pg_relation_size(oid)::text AS bytes, pg_relation_filepath(oid) AS file
       FROM pg_class WHERE oid = 'quotes'::regclass`,
  );
  const table = rows[0];
  if (table && table.pages > 0 && table.tuples > 0 && Number(table.bytes) < table.pages * 8192) {
    const damage: DataDamage = {
      detail: `file "${table.file}" holds ${Number(table.bytes) / 8192} pages but the catalog recorded ${table.pages} pages and ${table.tuples} rows`,
      file: table.file,
      relation: 'quotes',
      kind: 'table',
      fix: `the rows of quotes (${table.file}) are lost, not seeded again over the loss: ${rebuild}`,
    };
    throw damagedError(dataDir, damage);
  }
}
