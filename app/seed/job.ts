import { loadConfig, ConfigError, vectorIndexSettings } from '../config.js';
import { SeedError } from './errors.js';
import { ENV_SOURCE_SETTING } from './sources.js';
import { createProgressPrinter, formatReembedSummary, formatSeedSummary } from './progress.js';
import { runSeed, type SeedRunSettings } from './run.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_CONCURRENCY } from './seeder.js';

/**
 * Seed settings from the environment, for the container image's `seed` command (the
 * in-cluster seed Job). The app's own variables (DATABASE_URL or PG*, OPENAI_API_KEY,
 * OPENAI_BASE_URL, EMBEDDING_MODEL, EMBEDDING_MAX_RETRIES, VECTOR_INDEX, IVFFLAT_LISTS,
 * INDEX_BUILD_MEMORY_MB, INDEX_BUILD_WORKERS, POSTGRES_MEMORY_LIMIT_MB) mean what they mean
 * for the API, plus:
 *   SEED_SOURCE        dummyjson (default) | file:PATH | - | sample
 *   SEED_BATCH_SIZE    inputs per embedding request, 1..2048 (default 256)
 *   SEED_CONCURRENCY   embedding requests in flight (default 4)
 *   SEED_REEMBED       true: recompute every embedding with EMBEDDING_MODEL instead of loading
 *   SEED_DUMMYJSON_URL base URL of the DummyJSON API (default https://dummyjson.com)
 */
export function seedSettingsFromEnv(env: NodeJS.ProcessEnv | Record<string, string | undefined>): SeedRunSettings {
  const config = loadConfig(env);
  return {
    database: config.database,
    source: env.SEED_SOURCE?.trim() || 'dummyjson',
    reembed: parseBoolean(env.SEED_REEMBED, 'SEED_REEMBED'),
    batchSize: parseCount(env.SEED_BATCH_SIZE, 'SEED_BATCH_SIZE', DEFAULT_BATCH_SIZE),
    concurrency: parseCount(env.SEED_CONCURRENCY, 'SEED_CONCURRENCY', DEFAULT_CONCURRENCY),
    dummyJsonUrl: env.SEED_DUMMYJSON_URL?.trim() || undefined,
    embedding: config,
    vectorIndex: vectorIndexSettings(config),
    databaseHint: 'check DATABASE_URL (or PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE)',
    // The image reads no flags: its hints name the variable.
    sourceSetting: ENV_SOURCE_SETTING,
  };
}

/**
 * `node app/main.ts seed`: plain progress lines on stderr, the summary on stdout as text
 * and as one JSON line (`seed summary {...}`) for log tooling. Returns the exit code:
 * 0 done, 1 the job failed (after retries), 2 bad settings or unreachable database/source.
 */
export async function runSeedJob(
  env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env,
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream; signal?: AbortSignal } = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  try {
    const settings = seedSettingsFromEnv(env);
    const printer = createProgressPrinter(stderr, false);
    const result = await runSeed({
      ...settings,
      signal: io.signal,
      onSeedProgress: (p) => printer.seed(p),
      onReembedProgress: (p) => printer.reembed(p),
    });
    const lines = result.mode === 'seed' ? formatSeedSummary(result.summary) : formatReembedSummary(result.summary);
    stdout.write(`${lines.join('\n')}\nseed summary ${JSON.stringify({ mode: result.mode, ...result.summary })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      stderr.write(`seed: ${error.message}\n`);
      return 2;
    }
    if (error instanceof SeedError) {
      stderr.write(`seed: ${error.message}\n`);
      return error.kind === 'usage' ? 2 : 1;
    }
    stderr.write(`seed: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

function parseBoolean(value: string | undefined, name: string): boolean {
  if (value === undefined || value.trim() === '') return false;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(v)) return true;
  if (['0', 'false', 'no'].includes(v)) return false;
  throw new SeedError(`${name}="${value}" is not a boolean: use true or false`);
}

function parseCount(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 1) throw new SeedError(`${name}="${value}" must be a positive whole number`);
  return n;
}
