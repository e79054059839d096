/**
 * What the load Job's pods and the worker program agree on (infra/charts/load-job.ts writes
 * it, bin/load/worker-pod.ts reads it). Kept free of imports: the worker bundle includes it.
 */
/** The worker's spec (JSON), without its index (from the Indexed Job, JOB_COMPLETION_INDEX) and source. */
export const LOAD_SPEC_ENV = 'QCTL_LOAD_WORKER';
/** The scenario source (JSON: URLs, headers, a targets file), from the run's Secret: it may carry credentials. */
export const LOAD_SOURCE_ENV = 'QCTL_LOAD_SOURCE';
/** Its key in the Secret (infra/charts/load-job.ts loadSourceSecretName). */
export const LOAD_SOURCE_KEY = 'source';
/** Where the worker bundle sits in the `load` image (Dockerfile target `load`, scripts/bundle-load.mjs). */
export const LOAD_WORKER_COMMAND = ['node', 'build/load/worker.js'];
