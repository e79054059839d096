import { Worker } from 'node:worker_threads';
import { mergedReport, type WorkerReturn } from './merge.js';
import type { LoadReport } from './report-schema.js';
import type { LoadPlan, RunHooks } from './run.js';
import type { ScenarioSource } from './scenario.js';
import { workerResultSchema } from './worker-result.js';
import { plannedMs, workerSpecBase, type WorkerSpec } from './worker.js';

/** From the last thread's 'ready' to the shared first send: time for the 'go' message to reach every thread. */
const GO_AHEAD_MS = 50;

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
 * Runs `count` worker threads on this machine, each with 1/count of the schedule. They load and
 * warm up at their own pace; once every one is ready (or dead), all are told one start instant.
 * A thread that dies is reported, not fatal: the others' results still merge.
 */
export async function runLocalWorkers(
  spec: Omit<WorkerSpec, 'index' | 'count' | 'startAt'>,
  count: number,
  hooks: { signal?: AbortSignal; onStart?: (startAt: number) => void } = {},
): Promise<WorkerReturn[]> {
  const { signal } = hooks;
  const threads = Array.from({ length: count }, (_, index) => startThread({ ...spec, index, count, startAt: 0 }));
  const notReady = new Set(threads.keys());
  const ready = (index: number): void => {
    if (!notReady.delete(index) || notReady.size > 0) return;
    const startAt = Date.now() + GO_AHEAD_MS;
    for (const thread of threads) thread.postMessage({ startAt });
    setTimeout(() => hooks.onStart?.(startAt), GO_AHEAD_MS);
  };
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
              if (message === 'ready') return ready(index);
              const parsed = workerResultSchema.safeParse(message);
              settled = parsed.success
                ? { index, result: parsed.data, state: parsed.data.interrupted ? 'partial' : 'complete', note: null }
                : { index, state: 'missing', note: 'sent something that is not a worker result', failed: true };
            });
            thread.on('error', (error) => {
              settled ??= { index, state: 'missing', note: `worker thread died: ${error.message}`, failed: true };
            });
            thread.on('exit', (code) => {
              // A thread that died before it was ready must not hold the others back.
              ready(index);
              resolve(
                settled ?? {
                  index,
                  state: 'missing',
                  note: `worker thread exited with code ${code} before sending a result`,
                  failed: true,
                },
              );
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
  let startAt: number | undefined;
  const progress = hooks.onProgress ? setInterval(() => hooks.onProgress!(workersProgress(startAt, plan, count)), 1000) : undefined;
  try {
    const workers = await runLocalWorkers(workerSpecBase(plan, source), count, {
      signal: hooks.signal,
      onStart: (at) => {
        startAt = at;
        hooks.watcher?.start(at);
      },
    });
    const hpa = hooks.watcher ? await hooks.watcher.stop() : null;
    return mergedReport(plan, workers, { interrupted: hooks.signal?.aborted ?? false, hpa, inCluster: false, job: null, stopped: null });
  } finally {
    clearInterval(progress);
  }
}

/** The progress line of a workers run: starting, then the time into the planned schedule. */
export function workersProgress(startAt: number | undefined, plan: LoadPlan, count: number): string {
  const elapsed = startAt === undefined ? -1 : Date.now() - startAt;
  if (elapsed < 0) return `${count} workers: starting`;
  return `${count} workers: ${Math.floor(elapsed / 1000)}s/${Math.round(plannedMs(plan) / 1000)}s`;
}
