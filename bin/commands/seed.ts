import type { Command } from '@commander-js/extra-typings';
import { JobError, usageError } from '../cli/errors.js';
import { outputOption, type OptionsOf } from '../cli/options.js';
import { parseHttpUrl } from '../cli/url.js';
import { isNonInteractive, parseOutputMode, printJson, printText } from '../cli/output.js';

function declare(program: Command) {
  return program
    .command('seed')
    .description('Load quotes and their embeddings into the database; idempotent (a re-run inserts nothing and embeds nothing).')
    .option('--source <source>', 'dummyjson | file:PATH | - (stdin) | sample (default: dummyjson)')
    .option('--database-url <url>', 'target database (default: $DATABASE_URL, else the local qctl dev database)')
    .option('--batch-size <n>', 'quotes per embedding request, 1..2048', '256')
    .option('--concurrency <n>', 'embedding requests in flight at once', '4')
    .option('--reembed', 'recompute every stored embedding with the configured model, swapping them in atomically')
    .option('--dummyjson-url <url>', 'base URL of the DummyJSON API (default https://dummyjson.com)')
    .option('--dev-dir <dir>', 'the qctl dev data directory used when no database URL is given', '.qctl/dev')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Examples:
  qctl seed                                   # DummyJSON into the local dev database
  qctl seed --source file:./quotes.json --database-url postgres://app:pw@localhost:5432/quotes
  cat quotes.json | qctl seed --source - --output json
  EMBEDDING_MODEL=text-embedding-3-large qctl seed --reembed

Embeddings: OpenAI when OPENAI_API_KEY is set (OPENAI_BASE_URL, EMBEDDING_MODEL, EMBEDDING_MAX_RETRIES),
otherwise the offline local embedder.`,
    );
}

type SeedOptions = OptionsOf<typeof declare>;

export function register(program: Command): void {
  declare(program).action(seedAction);
}

async function seedAction(options: SeedOptions): Promise<void> {
  const output = parseOutputMode(options.output);
  const batchSize = parsePositiveInt(options.batchSize, '--batch-size');
  const concurrency = parsePositiveInt(options.concurrency, '--concurrency');

  if (options.reembed && options.source !== undefined) {
    throw usageError(
      `--reembed recomputes the stored quotes and reads no source: drop --source ${options.source}, or load it first with qctl seed --source ${options.source}`,
    );
  }
  if (options.reembed && options.dummyjsonUrl !== undefined) {
    throw usageError(
      '--reembed recomputes the stored quotes and fetches nothing: drop --dummyjson-url, or load from it first with qctl seed',
    );
  }
  const source = options.source ?? 'dummyjson';
  if (options.dummyjsonUrl !== undefined) parseHttpUrl(options.dummyjsonUrl, '--dummyjson-url', 'https://dummyjson.com');

  const [
    { loadConfig, ConfigError, vectorIndexSettings },
    { runSeed },
    { SeedError },
    progress,
    { parseSourceSpec, preloadSource },
    { validateTuning },
  ] = await Promise.all([
    import('../../app/config.js'),
    import('../../app/seed/run.js'),
    import('../../app/seed/errors.js'),
    import('../../app/seed/progress.js'),
    import('../../app/seed/sources.js'),
    import('../../app/seed/seeder.js'),
  ]);

  const explicitUrl = options.databaseUrl ?? (process.env.DATABASE_URL?.trim() || undefined);
  const env = { ...process.env, ...(explicitUrl ? { DATABASE_URL: explicitUrl } : {}) };
  let config;
  let prepared;
  try {
    config = loadConfig(env);
    validateTuning(batchSize, concurrency);
    // A missing or malformed file (or stdin) fails now, before any database is opened.
    if (!options.reembed) prepared = await preloadSource(parseSourceSpec(source));
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message.replace(/\n\s*/g, ' '));
    if (error instanceof SeedError) throw usageError(error.message);
    throw error;
  }

  // No URL and no PGHOST: the database of `qctl dev`.
  const useLocal = !explicitUrl && !process.env.PGHOST;
  const local = useLocal ? await (await import('../dev/local-database.js')).openLocalDevDatabase(options.devDir) : undefined;

  const interactive = output === 'text' && !isNonInteractive(process.stderr);
  const printer = progress.createProgressPrinter(process.stderr, interactive);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runSeed({
      database: local ? { connectionString: local.url } : config.database,
      databaseLabel: local?.label,
      databaseHint: 'start it, or pass --database-url (or set DATABASE_URL)',
      source,
      prepared,
      reembed: options.reembed ?? false,
      batchSize,
      concurrency,
      dummyJsonUrl: options.dummyjsonUrl,
      embedding: config,
      vectorIndex: vectorIndexSettings(config),
      signal: abort.signal,
      onSeedProgress: (p) => printer.seed(p),
      onReembedProgress: (p) => printer.reembed(p),
    });
    printer.finish();
    if (output === 'json') {
      printJson({ mode: result.mode, ...result.summary });
    } else {
      const lines = result.mode === 'seed' ? progress.formatSeedSummary(result.summary) : progress.formatReembedSummary(result.summary);
      printText(`${lines.join('\n')}\n`);
    }
  } catch (error) {
    printer.finish();
    if (abort.signal.aborted) throw new JobError('interrupted: quotes stored so far are kept; run qctl seed again to continue');
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await local?.release();
  }
}

function parsePositiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1) {
    throw usageError(`invalid ${flag} "${value}": use a positive whole number, e.g. ${flag} 256`);
  }
  return n;
}
