import { parentPort, workerData } from 'node:worker_threads';
import { runWorker, type WorkerSpec } from './worker.js';

/**
 * Entry of a local `--workers N` thread: runs its share and posts the result. A 'stop' message
 * (Ctrl-C in the parent) ends the schedule; the result then covers what ran.
 */
const controller = new AbortController();
parentPort!.on('message', (message: unknown) => {
  if (message === 'stop') controller.abort();
});
const result = await runWorker(workerData as WorkerSpec, controller.signal);
parentPort!.postMessage(result);
parentPort!.close();
