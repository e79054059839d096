import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Cache } from './cache/cache.js';
import { MemoryCache } from './cache/memory.js';
import { RedisCache } from './cache/redis.js';
import { ReplicaReadCache } from './cache/replica.js';
import { ConfigError, DUAL_STACK_HOST, loadConfig, redactedConfig, vectorIndexSettings, type AppConfig } from './config.js';
import { latestMigrationVersion, migrate } from './db/migrate.js';
import { QuoteDataProbe } from './db/data-probe.js';
import { createPool } from './db/pool.js';
import { waitForDatabase } from './db/wait.js';
import { createEmbeddingProvider } from './embeddings/index.js';
import type { EmbeddingProvider } from './embeddings/provider.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type AppMetrics } from './observability/metrics.js';
import { QuoteRepository } from './quotes/repository.js';
import { SearchService } from './quotes/search-service.js';
import { Readiness } from './readiness.js';
import { buildServer } from './server.js';

export { ConfigError, loadConfig, vectorIndexSettings } from './config.js';
export type { AppConfig } from './config.js';

/** How long in-flight requests may run after SIGTERM (below Kubernetes' default 30 s grace period). */
const SHUTDOWN_GRACE_MS = 20_000;

export interface StartOptions {
  /** Defaults to a JSON logger at config.logLevel on stdout. */
  log?: Logger;
  /** Apply migrations and ensure the vector index once the database answers (`qctl dev`). */
  migrate?: boolean;
  /** Replaces the provider chosen from config (tests, benchmarks). */
  embedder?: EmbeddingProvider;
  /** Test hook: first OpenAI retry delay. */
  embeddingBackoffMs?: number;
  /** How readiness tells to re-create lost quotes (`qctl dev` names its own data directory). */
  rebuildHint?: string;
}

export interface RunningService {
  url: string;
  port: number;
  /** Readiness false, in-flight requests finish, pools close. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when the database first answered (and migrations ran, with `migrate`). */
  databaseReady: Promise<void>;
  app: FastifyInstance;
  pool: pg.Pool;
  metrics: AppMetrics;
  embedder: EmbeddingProvider;
  repository: QuoteRepository;
  readiness: Readiness;
}

/**
 * Builds every dependency from config and starts listening at once. The database may be
 * absent: /readyz answers 503 while a background loop retries it with backoff.
 */
export async function startService(config: AppConfig, options: StartOptions = {}): Promise<RunningService> {
  const log = options.log ?? createLogger(config.logLevel);
  const pool = createPool(config.database, { max: config.dbPoolMax, log });
  const metrics = createMetrics({ pool: () => pool, version: config.version });
  const cache = createCache(config, log, metrics);
  if (!config.redisUrl) log.info('cache: REDIS_URL is not set, using an in-process LRU cache');
  const embedder = options.embedder ?? createEmbeddingProvider(config, log, { metrics, baseBackoffMs: options.embeddingBackoffMs });
  const repository = new QuoteRepository(pool, { efSearch: config.searchEfSearch, probes: config.searchProbes });
  // With Redis, hot results also stay a few seconds in the process: a hit then costs no round trip.
  const local = config.redisUrl && config.cacheLocalTtlSeconds > 0 ? new MemoryCache(5_000) : undefined;
  const search = new SearchService({
    repository,
    embedder,
    cache,
    metrics,
    ttlSeconds: config.cacheTtlSeconds,
    local,
    localTtlSeconds: config.cacheLocalTtlSeconds,
    // One slow attempt, or a few fast failures with their backoff.
    embedBudgetMs: config.embeddingTimeoutMs + 2_000,
  });
  const dataProbe = new QuoteDataProbe(pool, embedder.model, options.rebuildHint);
  const readiness = new Readiness(pool, cache, await latestMigrationVersion(), undefined, dataProbe);

  const app = await buildServer({ config, repository, search, embedder, cache, metrics, readiness }, log);
  try {
    await listen(app, config, log);
  } catch (error) {
    await Promise.allSettled([pool.end(), cache.close()]);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, config: redactedConfig(config), embeddings: embedder.model, cache: cache.kind }, 'quote API listening');

  const startup = new AbortController();
  const databaseReady = prepareDatabase(pool, config, log, startup.signal, options.migrate ?? false);
  databaseReady.catch((error) => {
    if (!startup.signal.aborted) log.error({ err: (error as Error).message }, 'database preparation failed; /readyz stays 503');
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      readiness.shuttingDown = true;
      startup.abort(new Error('service stopping'));
      if (config.shutdownDrainSeconds > 0) {
        // Let load balancers see the failing readiness before the listener closes.
        log.info({ seconds: config.shutdownDrainSeconds }, 'draining before shutdown');
        await new Promise((r) => setTimeout(r, config.shutdownDrainSeconds * 1000));
      }
      // Stop accepting and wait for in-flight requests. A keep-alive connection that was busy
      // when close began goes idle afterwards and would hold close() open: sweep those, and
      // cut whatever is left after the grace period (the kubelet would SIGKILL us anyway).
      const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => {
        log.warn('requests still running after the shutdown grace period; closing their connections');
        app.server.closeAllConnections();
      }, SHUTDOWN_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearInterval(sweeper);
        clearTimeout(deadline);
      }
      log.info('HTTP server closed; closing the database pool and cache');
      await Promise.allSettled([pool.end(), cache.close()]);
      log.info('quote API stopped');
    })());

  return { url, port, stop, databaseReady, app, pool, metrics, embedder, repository, readiness };
}

/** Redis when configured (reads from its read replica when there is one), else an in-process LRU. */
function createCache(config: AppConfig, log: Logger, metrics: AppMetrics): Cache {
  if (!config.redisUrl) return new MemoryCache();
  const primary = new RedisCache(config.redisUrl, { log });
  if (!config.redisReadUrl) return primary;
  // The replica's own connection errors are not logged: the cache logs when reads switch Redis.
  const replica = new RedisCache(config.redisReadUrl);
  return new ReplicaReadCache(primary, replica, { log, onRead: (source) => metrics.cacheRead(source) });
}

/** Codes for "this host has no IPv6" (kernel without it, or disabled). */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

/** Listens on config.host; the dual-stack default falls back to IPv4 only where IPv6 is unavailable. */
async function listen(app: FastifyInstance, config: AppConfig, log: Logger): Promise<void> {
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    if (config.host !== DUAL_STACK_HOST || !NO_IPV6.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    log.warn({ err: (error as Error).message }, 'IPv6 is unavailable here; listening on 0.0.0.0 (IPv4 only)');
    await app.listen({ port: config.port, host: '0.0.0.0' });
  }
}

async function prepareDatabase(pool: pg.Pool, config: AppConfig, log: Logger, signal: AbortSignal, runMigrations: boolean): Promise<void> {
  await waitForDatabase(pool, {
    signal,
    onRetry: (attempt, delayMs, error) =>
      log.warn({ attempt, retryInMs: delayMs, err: error.message }, 'database not reachable yet; retrying'),
  });
  if (runMigrations) await migrateAndIndex(pool, config, log);
  log.info('database reachable');
}

async function migrateAndIndex(pool: pg.Pool, config: AppConfig, log: Logger): Promise<void> {
  const result = await migrate(pool, { log: (line) => log.info(line), vectorIndex: vectorIndexSettings(config) });
  const index = result.vectorIndex!;
  log.info(
    {
      applied: result.applied,
      alreadyApplied: result.alreadyApplied,
      vectorIndex: `${config.vectorIndex} (${index.action})`,
      indexBuildMs: index.buildMs,
    },
    'migrations done',
  );
}

// ---------------------------------------------------------------------------------------
// Process entry: `node app/main.ts <command>` (in the image: `node build/app/main.js <command>`).

export interface EntryCommand {
  describe: string;
  /** Resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** One entry per command; add a command with one more entry. */
export const COMMANDS: Record<string, EntryCommand> = {
  serve: { describe: 'run the HTTP API until SIGTERM', run: () => serveCommand() },
  migrate: { describe: 'apply database migrations and ensure the vector index, then exit', run: () => migrateCommand() },
  // Settings from SEED_* and the app's variables; see app/seed/job.ts and docs/seed-and-dev.md.
  seed: {
    describe: 'load quotes and embeddings (idempotent), then exit',
    run: async () => (await import('./seed/job.js')).runSeedJob(process.env),
  },
};

export async function runEntry(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = name && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    const known = Object.keys(COMMANDS).join(', ');
    process.stderr.write(name ? `quote-api: unknown command "${name}": use one of ${known}\n` : `quote-api: name a command: ${known}\n`);
    return 2;
  }
  return command.run(args);
}

/** Reads config from the environment; a bad one prints every problem and exits 2. */
function configOrExit(): AppConfig | undefined {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`quote-api: ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}

async function serveCommand(): Promise<number> {
  const config = configOrExit();
  if (!config) return 2;
  const log = createLogger(config.logLevel);
  const service = await startService(config, { log });
  return new Promise<number>((resolveExit) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'shutting down: readiness off, finishing in-flight requests');
      service.stop().then(
        () => resolveExit(0),
        (error) => {
          log.error({ err: (error as Error).message }, 'shutdown failed');
          resolveExit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

async function migrateCommand(): Promise<number> {
  const config = configOrExit();
  if (!config) return 2;
  const log = createLogger(config.logLevel);
  const pool = createPool(config.database, { max: 2, log });
  try {
    await waitForDatabase(pool, {
      timeoutMs: 120_000,
      onRetry: (attempt, delayMs, error) =>
        log.warn({ attempt, retryInMs: delayMs, err: error.message }, 'database not reachable yet; retrying'),
    });
    await migrateAndIndex(pool, config, log);
    return 0;
  } catch (error) {
    log.error({ err: (error as Error).message }, 'migrate failed');
    return 1;
  } finally {
    await pool.end();
  }
}

function isProcessEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(resolve(entry)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isProcessEntry()) {
  runEntry(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Lingering sockets (a reconnecting Redis client) must not keep a finished process alive.
      setTimeout(() => process.exit(code), 2_000).unref();
    },
    (error) => {
      process.stderr.write(`quote-api: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
