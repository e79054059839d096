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
/**
 * Tests only: QCTL_TEST_LOAD_WORKER_DIES=<index> makes that worker thread crash half a second into
 * its run, the way a real crash would (an uncaught error ends the thread), so that a test can
 * show that a worker dying mid-run fails the verdict. Read from the environment, the process boundary.
 */
const dies = process.env.QCTL_TEST_LOAD_WORKER_DIES;
if (dies !== undefined && Number(dies) === (workerData as WorkerSpec).index) {
  void started.then(() =>
    setTimeout(() => {
      throw new Error('injected by QCTL_TEST_LOAD_WORKER_DIES');
    }, 500),
  );
}
const ready = (): Promise<number> => {
  parentPort!.postMessage('ready');
  return started;
};
const result = await runWorker(workerData as WorkerSpec, { signal: controller.signal, ready });
parentPort!.postMessage(result);
parentPort!.close();
