import { parentPort } from 'node:worker_threads';
import { runWorker, type WorkerSpec } from '../bin/load/worker.js';

/**
 * A bench:load thread that runs one worker spec after another and stays alive between them, so
 * that a probe with threads is as warm as a probe in the bench's own thread (qctl's local
 * worker threads, bin/load/worker-thread.ts, run one spec and exit). Same barrier as those:
 * 'ready' once warmed up, then the shared start instant from the parent.
 */
let go: (startAt: number) => void = () => undefined;
parentPort!.on('message', (message: { spec: WorkerSpec } | { startAt: number }) => {
  if ('startAt' in message) return go(message.startAt);
  const started = new Promise<number>((resolve) => (go = resolve));
  const ready = (): Promise<number> => {
    parentPort!.postMessage('ready');
    return started;
  };
  void runWorker(message.spec, { ready }).then((result) => parentPort!.postMessage({ result }));
});
