import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDuration } from '../cli/duration.js';
import { ExitError, usageError } from '../cli/errors.js';
import { isNonInteractive, parseOutputMode, printJson, printText } from '../cli/output.js';
import { formatTextReport } from './text-report.js';
import { renderHtmlReport } from './html-report.js';
import { namespaceFor, type EnvironmentName } from '../../infra/environment-names.js';
import { executeWithLocalWorkers } from './local-workers.js';
import { executeLoad, type LoadPlan, type Ramp, type RunHooks } from './run.js';
import { parseSlos, type Slo } from './slo.js';
import { parseHeaders, parseMethod, parseQuotesMix, readTargetsFile, scenarioFromSource, type ScenarioSource } from './scenario.js';
import { assertTargetsAllowed, parseTargetUrl } from './target.js';
import { capLocalWorkers, loadCores } from './worker-cap.js';
import { redactUrlsIn as redactUrls, safeForTerminal } from '../cli/safe-text.js';

/** What `qctl load` needs; bin/commands/load.ts turns the flags into it. */
export type LoadOptions = {
  /** Parsed by the command (bin/commands/load.ts); --in-cluster, --watch-hpa and --port-forward are refused without it. */
  env?: EnvironmentName;
  context?: string;
  rate: string;
  duration: string;
  scenario?: string;
  mix?: string;
  method: string;
  header: string[];
  body?: string;
  maxInflight: string;
  sendGrace: string;
  timeout: string;
  slo?: string;
  ramp?: string;
  workers?: string;
  inCluster?: boolean;
  image?: string;
  startDelay?: string;
  dryRun?: boolean;
  portForward?: boolean;
  watchHpa?: boolean;
  hpaInterval: string;
  output: string;
  report?: string;
  yes?: boolean;
};

/** Knee criteria when --ramp is given without --slo: nothing failed and the schedule was kept. */
export const DEFAULT_RAMP_SLO = 'errors<1%,dropped<1%,rate>=0.99';
/**
 * Judged whenever --slo has no errors term, so a run whose requests failed never passes
 * (fast connection errors would otherwise meet any latency SLO). An explicit errors term,
 * e.g. --slo "errors<=100%", replaces it.
 */
export const DEFAULT_ERROR_GATE = 'errors<1%';

export function withErrorGate(slos: Slo[]): Slo[] {
  if (slos.some((slo) => slo.metric.kind === 'errors')) return slos;
  const gate = parseSlos(DEFAULT_ERROR_GATE)[0]!;
  return [...slos, { ...gate, expression: `${DEFAULT_ERROR_GATE} (default gate)` }];
}
const MAX_RATE = 100_000;
/** About what one generator thread sends with a low noise floor (bench:load measures it); more needs another thread. */
export const RATE_PER_WORKER = 10_000;

/**
 * The default --workers: one thread per RATE_PER_WORKER of the peak rate, at most one per two
 * cores. A generator thread keeps a core busy at its ceiling, and the other core is for what it
 * loads (often on the same machine), the OS and undici's sockets; threads beyond that share cores
 * and stall each other, which lowers the ceiling and raises the noise floor. So on 2 cores: 1.
 */
export function defaultWorkerCount(cores: number, peakRate: number): number {
  return Math.max(1, Math.min(Math.floor(cores / 2), Math.ceil(peakRate / RATE_PER_WORKER)));
}

/** A warning for more local worker threads than cores (they share the cores: no higher ceiling, more stalls). */
export function workersWarning(workers: number, cores: number): string | null {
  if (workers <= 1 || workers <= cores) return null;
  return `--workers ${workers} on ${cores} cores: threads beyond the cores share them, which lowers the ceiling and raises the noise floor; use --workers ${Math.max(1, Math.floor(cores / 2))} or fewer here`;
}
/** Threads beyond the cores only share them; pods beyond this are a different kind of test. */
const MAX_WORKERS = 64;
/** From creating the load Job to the workers' first send: time to schedule the pods and pull the image. */
const DEFAULT_START_DELAY = '30s';

function parsePositive(text: string, flag: string, example: string, integer = false): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw usageError(`invalid ${flag} "${text}": use a ${integer ? 'whole ' : ''}number above 0, e.g. ${flag} ${example}`);
  }
  return value;
}

export function parseRate(text: string, flag = '--rate'): number {
  const rate = parsePositive(text, flag, '200');
  if (rate > MAX_RATE) throw usageError(`invalid ${flag} "${text}": at most ${MAX_RATE} requests per second`);
  return rate;
}

/** `START:END:STEP[:STEP_DURATION]`, e.g. `50:500:50:20s`. */
export function parseRamp(text: string, defaultStepMs: number): Ramp {
  const parts = text.split(':');
  const example = 'e.g. --ramp 50:500:50:20s (start:end:step[:step duration])';
  if (parts.length < 3 || parts.length > 4) throw usageError(`invalid --ramp "${text}": ${example}`);
  const [start, end, step] = parts.slice(0, 3).map((p) => {
    if (!/^\d+(\.\d+)?$/.test(p) || Number(p) <= 0) throw usageError(`invalid --ramp "${text}": "${p}" is not a rate above 0; ${example}`);
    return Number(p);
  }) as [number, number, number];
  if (Math.max(start, end) > MAX_RATE) throw usageError(`invalid --ramp "${text}": rates go up to ${MAX_RATE} req/s`);
  // A ramp looks for the rate where the service breaks: it climbs, so it stops at the first breach.
  if (end < start)
    throw usageError(`invalid --ramp "${text}": a ramp climbs; put the lower rate first, e.g. --ramp ${end}:${start}:${step}`);
  const stepDurationMs = parts[3] !== undefined ? parseDuration(parts[3], '--ramp step duration') : defaultStepMs;
  const steps = Math.floor(Math.abs(end - start) / step) + 1;
  if (steps > 100) throw usageError(`invalid --ramp "${text}": ${steps} steps; use a larger step (at most 100 steps)`);
  return { start, end, step, stepDurationMs };
}

interface ResolvedTarget {
  url: URL | null;
  /** A target qctl derived itself (--env) is the user's own cluster: no --yes needed. */
  own: boolean;
  close(): Promise<void>;
}

/** Checked before the run, so a long test never ends without the report that was asked for. */
async function assertReportWritable(file: string): Promise<void> {
  if (!file.endsWith('.html')) throw usageError(`--report ${file}: give a file name ending in .html, e.g. --report load.html`);
  try {
    await access(dirname(resolve(file)), constants.W_OK);
  } catch {
    throw usageError(
      `--report ${file}: the folder ${dirname(resolve(file))} does not exist or is not writable; create it or choose another path`,
    );
  }
  const existing = await stat(file).catch(() => undefined);
  if (existing && !existing.isFile())
    throw usageError(`--report ${file}: a directory (or other non-file) is in the way; choose another file name`);
}

async function resolveTarget(url: string | undefined, options: LoadOptions): Promise<ResolvedTarget> {
  if (url !== undefined) {
    if (options.env !== undefined) {
      // The URL is the target; the environment still has to exist (it is used by --watch-hpa).
      const { loadEnvironment } = await import('./env-target.js');
      await loadEnvironment(options.env);
    }
    return { url: parseTargetUrl(url), own: false, close: async () => undefined };
  }
  if (options.env !== undefined) {
    const { resolveEnvironmentTarget } = await import('./env-target.js');
    return resolveEnvironmentTarget(options.env, { context: options.context, portForward: options.portForward });
  }
  // Where `qctl dev` serves: it listens on $PORT too when no --port is given.
  return { url: new URL(`http://127.0.0.1:${process.env.PORT?.trim() || '8080'}/`), own: true, close: async () => undefined };
}

async function scenarioSource(url: URL | null, explicitUrl: boolean, options: LoadOptions, timeoutMs: number): Promise<ScenarioSource> {
  const headers = parseHeaders(options.header);
  const scenario = options.scenario ?? (explicitUrl ? undefined : 'quotes');
  if (scenario !== 'quotes' && options.mix !== undefined) throw usageError('--mix applies to --scenario quotes only');
  if (scenario === undefined) {
    return { kind: 'url', url: url!.href, method: parseMethod(options.method, '--method'), headers, body: options.body };
  }
  if (options.body !== undefined || options.method.toUpperCase() !== 'GET') {
    throw usageError('--method and --body apply to a plain URL target; put methods and bodies in a targets file instead');
  }
  if (scenario === 'quotes') {
    if (url === null) throw usageError('--scenario quotes needs a target: give a URL or --env');
    return { kind: 'quotes', baseUrl: url.href, mix: parseQuotesMix(options.mix), headers, timeoutMs };
  }
  return { kind: 'file', file: scenario, text: await readTargetsFile(scenario), baseUrl: url?.href, headers };
}

export async function runLoadCommand(url: string | undefined, options: LoadOptions): Promise<void> {
  // Parse every option before anything is sent: bad input must not half-run a load test.
  const output = parseOutputMode(options.output);
  const durationMs = parseDuration(options.duration, '--duration');
  const timeoutMs = parseDuration(options.timeout, '--timeout');
  const sendGraceMs = /^0+(ms|s)?$/.test(options.sendGrace.trim()) ? 0 : parseDuration(options.sendGrace, '--send-grace');
  const rate = parseRate(options.rate);
  const maxInflight = parsePositive(options.maxInflight, '--max-inflight', '1000', true);
  const ramp = options.ramp !== undefined ? parseRamp(options.ramp, durationMs) : undefined;
  const slos: Slo[] = withErrorGate(options.slo !== undefined ? parseSlos(options.slo) : ramp ? parseSlos(DEFAULT_RAMP_SLO) : []);
  if (options.report !== undefined) await assertReportWritable(options.report);
  const hpaIntervalMs = parseDuration(options.hpaInterval, '--hpa-interval');
  const inCluster = options.inCluster === true;
  const cores = loadCores();
  const askedWorkers =
    options.workers !== undefined
      ? parsePositive(options.workers, '--workers', '4', true)
      : inCluster
        ? 1
        : defaultWorkerCount(cores, ramp ? Math.max(ramp.start, ramp.end) : rate);
  if (askedWorkers > MAX_WORKERS) throw usageError(`invalid --workers "${options.workers}": at most ${MAX_WORKERS}`);
  if (inCluster && options.env === undefined)
    throw usageError('--in-cluster needs --env: the Job runs in that environment, e.g. --env dev --in-cluster');
  if (inCluster && options.portForward)
    throw usageError('--in-cluster and --port-forward do not mix: the workers reach the API Service directly');
  if (inCluster && url !== undefined) {
    throw usageError("--in-cluster sends to the environment's API Service: drop the URL (paths go in a targets file)");
  }
  // The example repeats the flag with the user's own value, so it can be run as shown.
  for (const [flag, given, example] of [
    ['--image', options.image !== undefined, `--image ${options.image}`],
    ['--dry-run', options.dryRun === true, '--dry-run'],
    ['--start-delay', options.startDelay !== undefined, `--start-delay ${options.startDelay}`],
  ] as const) {
    if (given && !inCluster)
      throw usageError(`${flag} applies to --in-cluster runs only, e.g. --env dev --in-cluster --workers 4 ${example}`);
  }
  const startDelayMs = parseDuration(options.startDelay ?? DEFAULT_START_DELAY, '--start-delay');
  if (options.portForward && options.env === undefined) throw usageError('--port-forward needs --env, e.g. --env dev --port-forward');
  if (options.watchHpa && options.env === undefined) {
    throw usageError("--watch-hpa needs --env: it reads that environment's HPA, e.g. --env dev --watch-hpa");
  }

  const interactive = !isNonInteractive(process.stderr);
  // A targets file with absolute URLs needs no base URL; otherwise the target is the URL, the env, or qctl dev.
  const fileWithoutBase = options.scenario !== undefined && options.scenario !== 'quotes' && url === undefined && options.env === undefined;
  const target: ResolvedTarget = inCluster
    ? { url: (await import('./in-cluster.js')).apiServiceUrl(namespaceFor(options.env!)), own: true, close: async () => undefined }
    : fileWithoutBase
      ? { url: null, own: false, close: async () => undefined }
      : await resolveTarget(url, options);
  let hooks: RunHooks = {};
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\nqctl load: stopping (Ctrl-C again to quit without a report)\n');
    controller.abort();
  };
  try {
    const source = await scenarioSource(target.url, url !== undefined, options, timeoutMs);
    const scenario = await scenarioFromSource(source, { fetchSample: !inCluster });
    const ownTarget = target.own && target.url !== null && scenario.origins.every((origin) => origin === target.url!.origin);
    if (inCluster && !ownTarget) {
      throw usageError(
        `--in-cluster workers may reach only ${target.url!.origin} (their NetworkPolicy): use paths relative to it in the targets file`,
      );
    }
    assertTargetsAllowed(scenario.origins, options.yes === true || ownTarget);
    // Local threads leave half the cores to a target on this machine; pods run elsewhere.
    const { used: workers, cap } = inCluster ? { used: askedWorkers, cap: null } : capLocalWorkers(askedWorkers, cores, scenario.origins);
    const overCores = inCluster ? null : workersWarning(workers, cores);
    if (cap !== null) process.stderr.write(safeForTerminal(`qctl load: workers: ${cap.note}\n`));
    else if (overCores !== null) process.stderr.write(`qctl load: ${overCores}\n`);
    if (options.watchHpa) {
      const { createHpaWatcher } = await import('./hpa.js');
      hooks.watcher = await createHpaWatcher(options.env!, { context: options.context, intervalMs: hpaIntervalMs });
    }
    hooks = { ...hooks, signal: controller.signal };
    if (interactive && output === 'text') hooks.onProgress = (line) => process.stderr.write(`\r\x1b[2K${line}`);
    const what = ramp
      ? `ramp ${ramp.start}→${ramp.end} req/s step ${ramp.step} every ${options.ramp?.split(':')[3] ?? options.duration}`
      : `${rate} req/s for ${options.duration}`;
    const from = inCluster ? ` from ${workers} in-cluster worker${workers > 1 ? 's' : ''}` : workers > 1 ? ` from ${workers} workers` : '';
    // --dry-run sends nothing: its output is the Job alone.
    if (!options.dryRun)
      process.stderr.write(safeForTerminal(`qctl load: ${what}${from}, ${scenario.description} (Ctrl-C stops and reports)\n`));
    process.on('SIGINT', onSigint);
    const plan: LoadPlan = {
      // Reports carry the URL without its credentials (the requests carry them as a header).
      targetUrl: target.url ? redactUrls(target.url.href) : null,
      scenario,
      rate,
      durationMs,
      ramp,
      maxInflight,
      timeoutMs,
      sendGraceMs,
      slos,
    };
    const { env, context, image, dryRun = false } = options;
    const report = inCluster
      ? await (
          await import('./in-cluster.js')
        ).executeInCluster(plan, source, { env: env!, context, workers, image, startDelayMs, dryRun, output }, hooks)
      : workers > 1
        ? await executeWithLocalWorkers(plan, source, workers, hooks)
        : await executeLoad(plan, hooks);
    if (report === null) return;
    if (cap !== null) report.generator.workersCap = cap;
    if (hooks.onProgress) process.stderr.write('\r\x1b[2K');
    // The results come first: a report file that cannot be written must not lose them.
    if (output === 'json') printJson(report);
    else {
      printText(formatTextReport(report));
      if (options.report !== undefined) printText(`report     ${options.report}\n`);
    }
    if (options.report !== undefined) {
      try {
        await writeFile(options.report, renderHtmlReport(report));
      } catch (error) {
        throw usageError(`cannot write --report ${options.report}: ${(error as Error).message}`);
      }
    }
    // The report above already says which SLO was breached.
    if (report.verdict === 'fail') throw new ExitError(1);
  } finally {
    process.off('SIGINT', onSigint);
    await target.close();
  }
}
