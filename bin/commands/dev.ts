import type { Command } from '@commander-js/extra-typings';
import { usageError } from '../cli/errors.js';
import { outputOption, type OptionsOf } from '../cli/options.js';
import { parseHttpUrl } from '../cli/url.js';
import { isNonInteractive, parseOutputMode } from '../cli/output.js';

function declare(program: Command) {
  return program
    .command('dev')
    .description('Run the quote API locally on embedded Postgres (PGlite + pgvector); no Docker, no cluster.')
    .option('--port <port>', 'HTTP port of the API (default: $PORT or 8080)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--ephemeral', 'throwaway in-memory database instead of .qctl/dev/')
    .option('--quotes <file>', 'first-start seed from this JSON file (array of {quote, author}) instead of the bundled data/quotes.json')
    .option('--dev-dir <dir>', 'where the persistent dev database lives', '.qctl/dev')
    .option('--db-port <port>', 'port of the embedded Postgres server (0: any free port)', '0')
    .option('--reindex', 'rebuild the indexes of the quotes before starting (when start-up says an index is damaged)')
    .option('--dummyjson-url <url>', 'first-start seed from this DummyJSON API instead of the bundled data/quotes.json')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Examples:
  qctl dev                                  # persistent data in .qctl/dev/, seeded on first start
  qctl dev --ephemeral --quotes ./quotes.json --port 8081

First start seeds the 1423 quotes shipped in data/quotes.json (DummyJSON's list), offline.
In-memory cache unless REDIS_URL is set; offline local embedder unless OPENAI_API_KEY is set.
--output json prints one JSON line with the URLs once ready.
One process at a time owns the dev directory (a lock file names it). Ctrl-C, SIGTERM or the
exit of the process that started it stops everything and flushes the database.`,
    );
}

type DevOptions = OptionsOf<typeof declare>;

/** How long one Ctrl-C during start-up waits for it to stop cleanly before exiting anyway. */
const STARTUP_STOP_GRACE_MS = 5_000;

export function register(program: Command): void {
  declare(program).action(devAction);
}

async function devAction(options: DevOptions): Promise<void> {
  const output = parseOutputMode(options.output);
  const port = parsePort(options.port ?? process.env.PORT ?? '8080', '--port');
  const dbPort = parsePort(options.dbPort, '--db-port', true);
  const interactive = !isNonInteractive(process.stderr);
  if (options.dummyjsonUrl !== undefined) parseHttpUrl(options.dummyjsonUrl, '--dummyjson-url', 'https://dummyjson.com');
  const { startDev } = await import('../dev/dev-server.js');

  // A signal during start-up waits for start-up to finish, then stops cleanly.
  let stopRequested = false;
  let wake: (() => void) | undefined;
  const startup = new AbortController();
  let ready = false;
  const onSignal = (): void => {
    if (stopRequested) {
      process.stderr.write('qctl dev: second signal, exiting now\n');
      process.exit(1);
    }
    stopRequested = true;
    // Said at once: a first-start seed can take a while to wind down its current batch.
    if (!ready)
      process.stderr.write(
        '\nqctl dev: stopping (Ctrl-C again to exit at once); an interrupted first-start seed resumes on the next start\n',
      );
    startup.abort(new Error('stopped during start-up'));
    // Some start-up steps cannot be interrupted (opening the database files, a query): if
    // start-up has not wound down soon, one Ctrl-C still ends the process.
    if (!ready) {
      setTimeout(() => {
        process.stderr.write('qctl dev: start-up did not stop within 5 s; exiting now\n');
        process.exit(130);
      }, STARTUP_STOP_GRACE_MS).unref();
    }
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const stopWatchingParent = watchParent(() => {
    process.stderr.write('qctl dev: the process that started it has exited\n');
    onSignal();
  });
  try {
    const dev = await startDev({
      signal: startup.signal,
      port,
      host: options.host,
      ephemeral: options.ephemeral ?? false,
      quotesFile: options.quotes,
      devDir: options.devDir,
      dbPort,
      dummyJsonUrl: options.dummyjsonUrl,
      reindex: options.reindex ?? false,
      env: process.env,
      interactive,
      info: (line) => process.stderr.write(`${line}\n`),
      warn: (line) => process.stderr.write(`${line}\n`),
    });
    ready = true;
    if (output === 'json') {
      process.stdout.write(
        `${JSON.stringify({
          url: dev.url,
          page: dev.pageUrl,
          api: dev.apiUrl,
          metrics: dev.metricsUrl,
          databaseUrl: dev.databaseUrl,
          dataDir: dev.dataDir ?? null,
          cache: dev.cache,
          embeddings: dev.embeddings,
          seeded: dev.seed ? { new: dev.seed.new, source: dev.seed.source, fallback: dev.seed.fallback } : null,
          startupMs: dev.startupMs,
        })}\n`,
      );
    } else {
      process.stdout.write(
        [
          `quote API ready in ${(dev.startupMs / 1000).toFixed(1)}s (${dev.dataDir ? `data in ${dev.dataDir}` : 'ephemeral database'}, ${dev.cache} cache, embeddings ${dev.embeddings})`,
          `  page      ${dev.pageUrl}`,
          `  API       ${dev.apiUrl}   (search: ${dev.url}/quotes/search?q=courage)`,
          `  metrics   ${dev.metricsUrl}`,
          `  database  ${dev.databaseUrl}`,
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    }
    if (!stopRequested) await new Promise<void>((resolve) => (wake = resolve));
    process.stderr.write('qctl dev: stopping\n');
    await dev.stop();
    process.stderr.write('qctl dev: stopped\n');
  } catch (error) {
    // Ctrl-C while starting: startDev already stopped what it had started.
    if (!stopRequested) throw error;
    process.stderr.write('qctl dev: stopped during start-up\n');
  } finally {
    stopWatchingParent();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  // Nothing should linger after a clean stop; if a socket does, it must not keep us alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 3_000).unref();
}

/**
 * Calls `onGone` once when the parent process exits (a closed terminal, a killed `npx`, a test
 * runner that died): a dev server nobody can stop any more must not keep the port and the
 * dev directory. A parent that is init (already a daemon) is not watched.
 */
function watchParent(onGone: () => void): () => void {
  const parent = process.ppid;
  if (parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPERM') return;
      clearInterval(timer);
      onGone();
    }
  }, 1_000);
  timer.unref();
  return () => clearInterval(timer);
}

function parsePort(value: string, flag: string, allowZero = false): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535 || (!allowZero && n < 1)) {
    throw usageError(`invalid ${flag} "${value}": use a port number from ${allowZero ? 0 : 1} to 65535, e.g. ${flag} 8081`);
  }
  return n;
}
