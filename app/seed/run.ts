import pg from 'pg';
import { maskUrlPassword, type DatabaseConfig } from '../config.js';
import { migrate, MigrationError } from '../db/migrate.js';
import { connectionTarget } from '../db/pool.js';
import type { VectorIndexSettings } from '../db/vector-index.js';
import { createEmbeddingProvider, type EmbeddingConfig } from '../embeddings/index.js';
import type { EmbeddingProvider } from '../embeddings/provider.js';
import { SeedError } from './errors.js';
import { reembedQuotes, type ReembedProgress, type ReembedSummary } from './reembed.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY, seedQuotes, validateTuning, type SeedProgress, type SeedSummary } from './seeder.js';
import {
  CLI_SOURCE_SETTING,
  describeSource,
  parseSourceSpec,
  preloadSource,
  readSource,
  type SourcePage,
  type SourceSetting,
} from './sources.js';

export interface SeedRunSettings {
  database: DatabaseConfig;
  /** `dummyjson` | `file:PATH` | `-` | `sample`. */
  source: string;
  /** The source's pages, already read by preloadSource (qctl checks its inputs before opening a database). */
  prepared?: AsyncIterable<SourcePage>;
  reembed?: boolean;
  batchSize?: number;
  concurrency?: number;
  dummyJsonUrl?: string;
  /** Attempts per DummyJSON page after the first. */
  fetchRetries?: number;
  /** Per DummyJSON request. */
  fetchTimeoutMs?: number;
  embedding: EmbeddingConfig;
  /** Use this provider instead of building one from `embedding` (qctl dev shares its own). */
  provider?: EmbeddingProvider;
  vectorIndex: VectorIndexSettings;
  /** Where `-` reads from; process.stdin by default. */
  stdin?: NodeJS.ReadableStream;
  cwd?: string;
  signal?: AbortSignal;
  onSeedProgress?: (progress: SeedProgress) => void;
  onReembedProgress?: (progress: ReembedProgress) => void;
  /** Names the database in errors (password masked), e.g. "postgres://app@db:5432/quotes". */
  databaseLabel?: string;
  /** How the user points us elsewhere, for the unreachable-database message. */
  databaseHint?: string;
  /** How the user sets the source, for hints (`--source …` by default; the image reads SEED_SOURCE). */
  sourceSetting?: SourceSetting;
}

export type SeedRunResult = { mode: 'seed'; summary: SeedSummary } | { mode: 'reembed'; summary: ReembedSummary };

/**
 * The whole seed job, shared by `qctl seed`, `qctl dev` and the image's `seed` command:
 * check the inputs, reach the database, apply migrations (idempotent), then load or re-embed.
 */
export async function runSeed(settings: SeedRunSettings): Promise<SeedRunResult> {
  // Usage problems first, before anything touches the network.
  const sourceSetting = settings.sourceSetting ?? CLI_SOURCE_SETTING;
  const spec = settings.reembed ? undefined : parseSourceSpec(settings.source, sourceSetting);
  const batchSize = settings.batchSize ?? DEFAULT_BATCH_SIZE;
  const concurrency = settings.concurrency ?? DEFAULT_CONCURRENCY;
  validateTuning(batchSize, concurrency);
  const dummyJson = {
    baseUrl: settings.dummyJsonUrl,
    maxRetries: settings.fetchRetries,
    timeoutMs: settings.fetchTimeoutMs,
    signal: settings.signal,
    fileSource: sourceSetting('file:PATH'),
  };
  // A missing or malformed file fails here, before the database is touched.
  const sourceOptions = { cwd: settings.cwd, stdin: settings.stdin, dummyJson, fileFlag: sourceSetting('file:./quotes.json') };
  const source = spec ? (settings.prepared ?? (await preloadSource(spec, sourceOptions)) ?? readSource(spec, sourceOptions)) : undefined;

  const pool = createSeedPool(settings.database);
  try {
    await checkReachable(pool, settings);
    await migrate(pool).catch((error: unknown) => {
      // One line naming the fix (a missing extension privilege, an edited migration), not a stack.
      throw error instanceof MigrationError ? new SeedError(error.message, 'failed', { cause: error }) : error;
    });
    const provider = settings.provider ?? createEmbeddingProvider(settings.embedding, undefined, { batchSize: Math.min(batchSize, 2048) });
    if (settings.reembed) {
      const summary = await reembedQuotes({
        pool,
        provider,
        batchSize,
        concurrency,
        vectorIndex: settings.vectorIndex,
        onProgress: settings.onReembedProgress,
        signal: settings.signal,
      });
      return { mode: 'reembed', summary };
    }
    const summary = await seedQuotes({
      pool,
      provider,
      source: source!,
      sourceName: describeSource(spec!, { dummyJsonUrl: settings.dummyJsonUrl }),
      batchSize,
      concurrency,
      vectorIndex: settings.vectorIndex,
      onProgress: settings.onSeedProgress,
      signal: settings.signal,
    });
    return { mode: 'seed', summary };
  } finally {
    await pool.end().catch(() => undefined);
  }
}

function createSeedPool(database: DatabaseConfig): pg.Pool {
  const pool = new pg.Pool({
    ...connectionTarget(database),
    // Embedding workers read while the writer writes; more connections buy nothing.
    max: 4,
    connectionTimeoutMillis: 10_000,
    application_name: 'quote-seed',
  });
  // A dropped idle connection must not crash the job; the next query reconnects or fails clearly.
  pool.on('error', () => undefined);
  return pool;
}

async function checkReachable(pool: pg.Pool, settings: SeedRunSettings): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    const label = settings.databaseLabel ?? describeDatabase(settings.database);
    const code = (error as { code?: string }).code;
    const reason = code && !/^[0-9A-Z]{5}$/.test(code) ? code : error instanceof Error ? error.message : String(error);
    throw new SeedError(`cannot reach the database at ${label} (${reason}): ${settings.databaseHint ?? 'check DATABASE_URL'}`, 'usage', {
      cause: error,
    });
  }
}

/** The database as a URL without its password, for messages. */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.connectionString) return maskUrlPassword(database.connectionString, '(unparseable DATABASE_URL)');
  return `postgres://${database.user ? `${database.user}@` : ''}${database.host ?? 'localhost'}:${database.port ?? 5432}/${database.database ?? ''}`;
}
