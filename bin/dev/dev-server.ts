import pg from 'pg';
import { QctlError, usageError } from '../cli/errors.js';
import { devPaths, readLiveDevState, removeDevState, writeDevState, type DevPaths } from './dev-state.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { assertPortFree, portInUse } from './port-check.js';
import type { SeedSummary } from '../../app/seed/seeder.js';

export interface DevOptions {
  port: number;
  host: string;
  /** In-memory database, gone on exit. */
  ephemeral: boolean;
  /** Seed from this JSON file instead of DummyJSON on first start. */
  quotesFile?: string;
  devDir?: string;
  /** Port of the embedded Postgres server; 0 picks a free one. */
  dbPort: number;
  dummyJsonUrl?: string;
  env: NodeJS.ProcessEnv;
  /** Progress and notices for people (stderr). */
  info(line: string): void;
  warn(line: string): void;
  interactive: boolean;
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
  await assertPortFree(options.host, options.port);
  await assertPortFree('127.0.0.1', options.dbPort, '--db-port');

  const [{ loadConfig, ConfigError, startService, vectorIndexSettings }, { migrate }, { runSeed }, { SeedError }, progress, { createLogger }] = await Promise.all([
    import('../../app/main.js'),
    import('../../app/db/migrate.js'),
    import('../../app/seed/run.js'),
    import('../../app/seed/errors.js'),
    import('../../app/seed/progress.js'),
    import('../../app/observability/logger.js'),
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

  const paths: DevPaths | undefined = options.ephemeral ? undefined : devPaths(options.devDir);
  if (paths) {
    const live = await readLiveDevState(paths);
    if (live) {
      throw usageError(
        `the dev database in ${paths.dir} is in use by qctl ${live.owner} (pid ${live.pid}${live.apiUrl ? `, ${live.apiUrl}` : ''}): stop it first, or run a throwaway one with --ephemeral`,
      );
    }
  }

  options.info(paths ? `starting embedded Postgres (data in ${paths.dataDir})` : 'starting embedded Postgres (ephemeral, in memory)');
  const database: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir: paths?.dataDir, port: options.dbPort });
  const cleanups: (() => Promise<unknown>)[] = [() => database.stop()];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse().splice(0)) await step().catch(() => undefined);
  };
  try {
    if (paths) {
      await writeDevState(paths, { pid: process.pid, owner: 'dev', databaseUrl: database.url, startedAt: new Date().toISOString() });
      cleanups.unshift(() => removeDevState(paths));
    }
    const databaseConfig = { connectionString: database.url };

    const empty = await migrateAndCheckEmpty(database.url, migrate);
    let seed: DevService['seed'];
    if (empty) {
      const printer = progress.createProgressPrinter(process.stderr, options.interactive);
      const seedOnce = (source: string) =>
        runSeed({
          database: databaseConfig,
          source,
          dummyJsonUrl: options.dummyJsonUrl,
          // Offline is common on a laptop: fail over to the sample quickly.
          fetchRetries: 1,
          fetchTimeoutMs: 5_000,
          embedding: config,
          vectorIndex: vectorIndexSettings(config),
          onSeedProgress: (p) => printer.seed(p),
          signal: options.signal,
        });
      const source = options.quotesFile ? `file:${options.quotesFile}` : 'dummyjson';
      options.info(`first start: seeding quotes from ${options.quotesFile ?? 'DummyJSON'}`);
      try {
        const result = await seedOnce(source);
        printer.finish();
        if (result.mode === 'seed') seed = { ...result.summary, fallback: false };
      } catch (error) {
        printer.finish();
        if (options.signal?.aborted) throw error;
        if (!(error instanceof SeedError) || options.quotesFile) {
          throw error instanceof SeedError ? new QctlError(error.message, error.kind === 'usage' ? 2 : 1) : error;
        }
        options.warn(
          `warning: ${error.message.split(': check the network')[0]}; loaded the small built-in sample instead. ` +
            'For the full set, run `qctl seed` when online, or `qctl seed --source file:quotes.json`',
        );
        const result = await seedOnce('sample');
        printer.finish();
        if (result.mode === 'seed') seed = { ...result.summary, fallback: true };
      }
      if (seed) options.info(progress.formatSeedSummary(seed)[0]!);
    }

    options.signal?.throwIfAborted();
    const log = createLogger(config.logLevel, process.stderr);
    const service = await startService({ ...config, database: databaseConfig }, { log, migrate: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw portInUse(options.port);
      throw error;
    });
    cleanups.push(() => service.stop());
    await service.databaseReady;
    if (paths) {
      await writeDevState(paths, {
        pid: process.pid,
        owner: 'dev',
        databaseUrl: database.url,
        apiUrl: service.url,
        startedAt: new Date().toISOString(),
      });
    }

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
    throw error;
  }
}

async function migrateAndCheckEmpty(url: string, migrate: (pool: pg.Pool) => Promise<unknown>): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(pool);
    const { rows } = await pool.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM quotes) AS empty');
    return rows[0]!.empty;
  } finally {
    await pool.end();
  }
}
