/**
 * What the load Job's pods and the worker program agree on (infra/charts/load-job.ts writes
 * it, bin/load/worker-pod.ts reads it). Kept free of imports: the worker bundle includes it.
 */
/** The worker's spec (JSON), without its index: that comes from the Indexed Job (JOB_COMPLETION_INDEX). */
export const LOAD_SPEC_ENV = 'QCTL_LOAD_WORKER';
/** Where the worker bundle sits in the `load` image (Dockerfile target `load`, scripts/bundle-load.mjs). */
export const LOAD_WORKER_COMMAND = ['node', 'build/load/worker.js'];
