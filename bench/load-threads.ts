import { Worker } from 'node:worker_threads';
import { mergedReport, type WorkerReturn } from '../bin/load/merge.js';
import type { LoadReport } from '../bin/load/report-schema.js';
import type { LoadPlan } from '../bin/load/run.js';
import type { ScenarioSource } from '../bin/load/scenario.js';
import { workerResultSchema } from '../bin/load/worker-result.js';
import { workerSpecBase } from '../bin/load/worker.js';

/** From the last thread's 'ready' to the shared first send, as in bin/load/local-workers.ts. */
const GO_AHEAD_MS = 50;

/**
 * `count` generator threads that live across runs (bench/load-thread.ts): each run splits the
 * plan as `qctl load --workers N` does and merges the threads' results with the same merge.
 * The bench compares one thread with two through this one path, both warmed by the same run
 * first, so that neither side pays for a fresh isolate the other does not.
 */
export class WarmThreads {
  private readonly threads: Worker[];

  constructor(readonly count: number) {
    // The bench runs under tsx: each thread registers its loader, then imports the TypeScript entry.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./load-thread.ts', import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    this.threads = Array.from({ length: count }, () => new Worker(bootstrap, { eval: true }));
  }

  /** One run of the plan over the threads; onStart gets the shared start instant (epoch ms) when it comes. */
  async run(plan: LoadPlan, source: ScenarioSource, onStart?: (startAt: number) => void): Promise<LoadReport> {
    let waiting = this.count;
    const results = await Promise.all(
      this.threads.map(
        (thread, index) =>
          new Promise<WorkerReturn>((resolve, reject) => {
            const onMessage = (message: unknown): void => {
              if (message === 'ready') {
                if (--waiting > 0) return;
                const startAt = Date.now() + GO_AHEAD_MS;
                for (const t of this.threads) t.postMessage({ startAt });
                setTimeout(() => onStart?.(startAt), GO_AHEAD_MS);
                return;
              }
              thread.off('message', onMessage);
              thread.off('error', reject);
              const result = workerResultSchema.parse((message as { result: unknown }).result);
              resolve({ index, result, state: 'complete', note: null });
            };
            thread.on('message', onMessage);
            thread.once('error', reject);
            thread.postMessage({ spec: { ...workerSpecBase(plan, source), index, count: this.count, startAt: 0 } });
          }),
      ),
    );
    return mergedReport(plan, results, { interrupted: false, hpa: null, inCluster: false, job: null, stopped: null });
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }
}
