import { Worker } from 'node:worker_threads';
import { mergedReport, type WorkerReturn } from './merge.js';
import type { LoadReport } from './report-schema.js';
import type { LoadPlan, RunHooks } from './run.js';
import type { ScenarioSource } from './scenario.js';
import { workerResultSchema } from './worker-result.js';
import { plannedMs, workerSpecBase, type WorkerSpec } from './worker.js';

/**
 * Time between starting the threads and their shared first send: loading the code (through tsx
 * when run from source), building the scenario and the one-second warm-up all fit in it.
 */
export const LOCAL_START_DELAY_MS = 3000;

/** A thread running worker-thread: the compiled file, or the TypeScript source through tsx. */
function startThread(spec: WorkerSpec): Worker {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './worker-thread.ts' : './worker-thread.js', import.meta.url);
  if (entry.pathname.endsWith('.js')) return new Worker(entry, { workerData: spec });
  // tsx's loader is registered per thread: the thread registers it, then imports the source.
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: spec });
}

/**
 * Runs `count` worker threads on this machine, each with 1/count of the schedule, all starting
 * at one instant, and collects what each returns. A thread that dies is reported, not fatal:
 * the others' results still merge.
 */
export async function runLocalWorkers(
  spec: Omit<WorkerSpec, 'index' | 'count'>,
  count: number,
  signal?: AbortSignal,
): Promise<WorkerReturn[]> {
  const threads = Array.from({ length: count }, (_, index) => startThread({ ...spec, index, count }));
  const stop = (): void => {
    for (const thread of threads) thread.postMessage('stop');
  };
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const workers = await Promise.all(
      threads.map(
        (thread, index) =>
          new Promise<WorkerReturn>((resolve) => {
            let settled: WorkerReturn | undefined;
            thread.on('message', (message: unknown) => {
              const parsed = workerResultSchema.safeParse(message);
              settled = parsed.success
                ? { index, result: parsed.data, state: parsed.data.interrupted ? 'partial' : 'complete', note: null }
                : { index, state: 'missing', note: 'sent something that is not a worker result' };
            });
            thread.on('error', (error) => {
              settled ??= { index, state: 'missing', note: `worker thread died: ${error.message}` };
            });
            thread.on('exit', (code) => {
              resolve(settled ?? { index, state: 'missing', note: `worker thread exited with code ${code} before sending a result` });
            });
          }),
      ),
    );
    if (signal?.aborted) for (const w of workers) if (w.state === 'partial') w.note = 'stopped by Ctrl-C';
    return workers;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** `qctl load --workers N`: the plan run by N threads here, merged into one report. */
export async function executeWithLocalWorkers(
  plan: LoadPlan,
  source: ScenarioSource,
  count: number,
  hooks: RunHooks = {},
): Promise<LoadReport> {
  const startAt = Date.now() + LOCAL_START_DELAY_MS;
  const watcher = hooks.watcher;
  const startWatcher = watcher ? setTimeout(() => watcher.start(startAt), LOCAL_START_DELAY_MS) : undefined;
  const progress = hooks.onProgress ? setInterval(() => hooks.onProgress!(workersProgress(startAt, plan, count)), 1000) : undefined;
  try {
    const workers = await runLocalWorkers({ ...workerSpecBase(plan, source), startAt }, count, hooks.signal);
    clearTimeout(startWatcher);
    const hpa = watcher ? await watcher.stop() : null;
    return mergedReport(plan, workers, { interrupted: hooks.signal?.aborted ?? false, hpa, inCluster: false, job: null });
  } finally {
    clearTimeout(startWatcher);
    clearInterval(progress);
  }
}

function workersProgress(startAt: number, plan: LoadPlan, count: number): string {
  const elapsed = Date.now() - startAt;
  if (elapsed < 0) return `${count} workers: starting in ${Math.ceil(-elapsed / 1000)}s`;
  return `${count} workers: ${Math.floor(elapsed / 1000)}s/${Math.round(plannedMs(plan) / 1000)}s`;
}
