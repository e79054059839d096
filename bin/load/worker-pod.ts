import { LOAD_SOURCE_ENV, LOAD_SPEC_ENV } from '../../infra/load-worker.js';
import { runWorker, type WorkerSpec } from './worker.js';
import type { WorkerResult } from './worker-result.js';

/**
 * Entry of an in-cluster worker pod (bundled into the `load` image as build/load/worker.js).
 * Its spec comes from QCTL_LOAD_WORKER, its scenario source from QCTL_LOAD_SOURCE (the run's Secret), its index from the Indexed Job (JOB_COMPLETION_INDEX).
 * stdout carries result lines only: a checkpoint every few seconds and the final result, each
 * a whole JSON document on one line, so qctl can stop the Job at any time and still merge the
 * last line of every pod. SIGTERM (the Job deleted) stops the schedule and prints the result.
 */
const CHECKPOINT_MS = Number(process.env.QCTL_LOAD_CHECKPOINT_MS ?? 5000);

function readSpec(): WorkerSpec {
  const text = process.env[LOAD_SPEC_ENV];
  const source = process.env[LOAD_SOURCE_ENV];
  const index = Number(process.env.JOB_COMPLETION_INDEX ?? process.env.QCTL_LOAD_WORKER_INDEX);
  if (!text || !source || !Number.isInteger(index)) {
    throw new Error(
      `${LOAD_SPEC_ENV}, ${LOAD_SOURCE_ENV} and JOB_COMPLETION_INDEX must be set: this program is a worker of \`qctl load --in-cluster\``,
    );
  }
  return { ...(JSON.parse(text) as Omit<WorkerSpec, 'index' | 'source'>), source: JSON.parse(source) as WorkerSpec['source'], index };
}

const print = (result: WorkerResult): boolean => process.stdout.write(`${JSON.stringify(result)}\n`);

async function main(): Promise<void> {
  const spec = readSpec();
  process.stderr.write(`qctl load worker ${spec.index + 1}/${spec.count}: starting at ${new Date(spec.startAt).toISOString()}\n`);
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  let lastCheckpoint = Date.now();
  const result = await runWorker(spec, {
    signal: controller.signal,
    onCheckpoint: (sofar) => {
      if (Date.now() - lastCheckpoint < CHECKPOINT_MS) return;
      lastCheckpoint = Date.now();
      print(sofar);
    },
  });
  // Written in full before exiting: a pipe may take a large line in several writes.
  await new Promise<void>((resolve) => (print(result) ? resolve() : process.stdout.once('drain', resolve)));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`qctl load worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
