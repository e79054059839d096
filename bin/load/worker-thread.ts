import { parentPort, workerData } from 'node:worker_threads';
import { runWorker, type WorkerSpec } from './worker.js';

/**
 * Entry of a local `--workers N` thread: warms up, posts 'ready', starts at the instant the
 * parent answers with once every thread is ready, and posts its result. A 'stop' message
 * (Ctrl-C in the parent) ends the schedule; the result then covers what ran.
 */
const controller = new AbortController();
let go: (startAt: number) => void = () => undefined;
const started = new Promise<number>((resolve) => (go = resolve));
parentPort!.on('message', (message: unknown) => {
  if (message === 'stop') {
    controller.abort();
    go(Date.now());
  } else if (typeof message === 'object' && message !== null && 'startAt' in message) go(Number(message.startAt));
});
const ready = (): Promise<number> => {
  parentPort!.postMessage('ready');
  return started;
};
const result = await runWorker(workerData as WorkerSpec, { signal: controller.signal, ready });
parentPort!.postMessage(result);
parentPort!.close();
