import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOAD_NAME, LOAD_RUN_LABEL, loadJobObjects } from '../../infra/charts/load-job.js';
import { LOAD_SOURCE_KEY } from '../../infra/load-worker.js';
import { API_NAME } from '../../infra/charts/quote-api.js';
import type { EnvironmentName } from '../../infra/environments.js';
import { parseImageRef } from '../../infra/image.js';
import { synthesizeFor, type KubeObject } from '../../infra/main.js';
import { formatIssue, hasErrors, validateObjects } from '../../infra/validate.js';
import { toYamlDocuments } from '../../infra/yaml.js';
import { formatDuration } from '../cli/duration.js';
import { JobError, usageError } from '../cli/errors.js';
import { openLoadClient, pollInterval } from '../deploy/session.js';
import { inspectPods } from '../deploy/waits.js';
import type { Kube } from '../kube/client.js';
import { mergedReport, type WorkerReturn } from './merge.js';
import type { LoadReport } from './report-schema.js';
import type { LoadPlan, RunHooks } from './run.js';
import type { ScenarioSource } from './scenario.js';
import { findWorkerResult } from './worker-result.js';
import { printJson } from '../cli/output.js';
import { plannedMs, workerSpecBase } from './worker.js';

/** Pods of an Indexed Job carry their index in this annotation (and, since 1.28, label). */
const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** After the planned end: the last requests' timeouts, writing the result, the pod exiting (QCTL_LOAD_SLACK_MS for tests). */
const finishSlackMs = (): number => Number(process.env.QCTL_LOAD_SLACK_MS ?? 30_000);
/** A container's environment is limited in size; a targets file travels in it. */
const MAX_SPEC_BYTES = 64 * 1024;

/** The API as the workers reach it: its Service, by cluster DNS (port 80). */
export function apiServiceUrl(namespace: string): URL {
  return new URL(`http://${API_NAME}.${namespace}.svc/`);
}

export interface InClusterOptions {
  env: EnvironmentName;
  context?: string;
  workers: number;
  /** The worker image; default: the API image's repository with `-load`, same tag. */
  image?: string;
  /** From creating the Job to the workers' shared first send. */
  startDelayMs: number;
  dryRun: boolean;
  /** What --dry-run prints the objects as: YAML documents (text) or a JSON List. */
  output?: 'text' | 'json';
}

type Pod = KubeObject & {
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { state?: { terminated?: { exitCode?: number; reason?: string } } }[];
  };
};

const podIndex = (pod: Pod): number => Number(pod.metadata.annotations?.[COMPLETION_INDEX] ?? pod.metadata.labels?.[COMPLETION_INDEX]);

/** The scheduler's reason a pod is not placed yet, as `up` reports it. */
function pendingReason(pod: Pod): string | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (pod.status?.phase !== 'Pending' || scheduled?.status !== 'False') return undefined;
  return scheduled.message ?? scheduled.reason ?? 'not scheduled';
}

function failureOf(pod: Pod): string {
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  if (!terminated) return 'failed';
  return `failed (${terminated.reason ?? 'Error'}, exit code ${terminated.exitCode ?? '?'})`;
}

/**
 * `qctl load --in-cluster --workers N`: an Indexed Job of N worker pods in the environment's
 * namespace, synthesized by infra and validated like every other object. qctl follows the pods,
 * reads each one's result line from its log, merges them and deletes the Job and its
 * NetworkPolicies, also after Ctrl-C, the deadline or a failed pod (the report is then partial:
 * running workers are merged from their last checkpoint line). Returns null for --dry-run.
 */
export async function executeInCluster(
  plan: LoadPlan,
  source: ScenarioSource,
  options: InClusterOptions,
  hooks: RunHooks = {},
): Promise<LoadReport | null> {
  const { workers } = options;
  const image = options.image === undefined ? undefined : parseImageRef(options.image, '--image');
  const synth = await synthesizeFor({ env: options.env });
  const namespace = synth.namespace;
  const name = `${LOAD_NAME}-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const startAt = Date.now() + options.startDelayMs;
  const { source: scenarioSource, ...spec } = { ...workerSpecBase(plan, source), count: workers, startAt };
  // The source (URLs, headers, a targets file) may carry credentials: it goes into the run's Secret,
  // the rest of the spec into the pods' env where `kubectl describe` shows it.
  const workerSpec = JSON.stringify(spec);
  const sourceJson = JSON.stringify(scenarioSource);
  if (Buffer.byteLength(workerSpec) + Buffer.byteLength(sourceJson) > MAX_SPEC_BYTES) {
    throw usageError(
      `the workers' spec is ${Math.round((Buffer.byteLength(workerSpec) + Buffer.byteLength(sourceJson)) / 1024)} KiB (the targets file?); in-cluster runs take up to 64 KiB`,
    );
  }
  const deadlineMs = options.startDelayMs + plannedMs(plan) + plan.timeoutMs + finishSlackMs();
  const objects = loadJobObjects(synth.context, {
    name,
    workers,
    workerSpec,
    image,
    activeDeadlineSeconds: Math.ceil(deadlineMs / 1000) + 60,
  });
  const issues = validateObjects(objects);
  if (hasErrors(issues)) throw new JobError(`the load Job does not validate:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
  if (options.dryRun) {
    // The Secret shows without its data: that is filled in only when the run is applied.
    if (options.output === 'json') printJson({ apiVersion: 'v1', kind: 'List', items: objects });
    else process.stdout.write(toYamlDocuments(objects));
    return null;
  }

  const kube = await openLoadClient(process.cwd(), options.env, options.context);
  const job = objects.find((o) => o.kind === 'Job')!;
  const say = (line: string): void => void process.stderr.write(`qctl load: ${line}\n`);
  const watcher = hooks.watcher;
  const startWatcher = watcher ? setTimeout(() => watcher.start(startAt), Math.max(0, startAt - Date.now())) : undefined;
  const created: KubeObject[] = [];
  try {
    for (const object of objects) created.push(await kube.apply(withSourceData(object, sourceJson)));
    await ownSourceSecret(kube, objects, created, sourceJson);
    const imageRef = (job.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
    say(`Job ${namespace}/${name}: ${workers} workers (${imageRef}), first send at ${new Date(startAt).toISOString()}`);
    const followed = await follow(
      kube,
      job,
      { workers, startAt, deadline: Date.now() + deadlineMs, deadlineMs, image: imageRef, say },
      hooks,
    );
    clearTimeout(startWatcher);
    const hpa = watcher ? await watcher.stop() : null;
    return mergedReport(plan, followed.workers, {
      interrupted: followed.stopped !== null,
      hpa,
      inCluster: true,
      job: name,
      stopped: followed.stopped,
    });
  } finally {
    clearTimeout(startWatcher);
    // Deleted whatever happened: an apply that failed half-way must not leave a policy behind.
    await removeRun(kube, objects.slice(0, created.length), say);
  }
}

/** The run's Secret with the scenario source as its data; other objects as they are. */
function withSourceData(object: KubeObject, sourceJson: string): KubeObject {
  if (object.kind !== 'Secret') return object;
  return { ...object, data: { [LOAD_SOURCE_KEY]: Buffer.from(sourceJson).toString('base64') } } as KubeObject;
}

/**
 * Makes the Job the owner of the source Secret, so that the garbage collector deletes it with the
 * Job even when qctl cannot (killed; the Job's TTL or deadline ends it). Created before the Job
 * so that no pod starts without it, owned right after.
 */
async function ownSourceSecret(kube: Kube, objects: KubeObject[], created: KubeObject[], sourceJson: string): Promise<void> {
  const secret = objects.find((o) => o.kind === 'Secret');
  const job = created.find((o) => o.kind === 'Job');
  if (!secret || !job?.metadata.uid) return;
  const owner = { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid };
  await kube.apply(withSourceData({ ...secret, metadata: { ...secret.metadata, ownerReferences: [owner] } }, sourceJson));
}

/** Deletes the Job (its pods with it), its Secret and the NetworkPolicies; whatever is already gone is fine. */
async function removeRun(kube: Kube, objects: KubeObject[], say: (line: string) => void): Promise<void> {
  for (const object of [...objects].reverse()) {
    try {
      await kube.delete({
        apiVersion: object.apiVersion,
        kind: object.kind,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
      });
    } catch (error) {
      say(`could not delete ${object.kind} ${object.metadata.name}: ${(error as Error).message}; delete it with kubectl`);
    }
  }
}

interface FollowOptions {
  workers: number;
  startAt: number;
  deadline: number;
  deadlineMs: number;
  image: string;
  say: (line: string) => void;
}

/**
 * Polls the Job's pods until every worker has finished, or a stop reason comes up (Ctrl-C, the
 * deadline, a failed pod, a pod that cannot start); then takes what each pod has logged.
 */
async function follow(
  kube: Kube,
  job: KubeObject,
  options: FollowOptions,
  hooks: RunHooks,
): Promise<{ workers: WorkerReturn[]; stopped: string | null }> {
  const namespace = job.metadata.namespace!;
  const selector = `${LOAD_RUN_LABEL}=${job.metadata.name}`;
  const returns = new Map<number, WorkerReturn>();
  const pendingSaid = new Map<number, string>();
  let stopped: string | null = null;
  let pods: Pod[] = [];
  const readResult = async (pod: Pod) => findWorkerResult(await kube.logs(namespace, pod.metadata.name, { tailLines: 5 }));

  for (;;) {
    pods = (await kube.list('v1', 'Pod', namespace, { label: selector })) as Pod[];
    for (const pod of pods) {
      const index = podIndex(pod);
      const phase = pod.status?.phase;
      if (returns.has(index) || (phase !== 'Succeeded' && phase !== 'Failed')) continue;
      const result = await readResult(pod);
      if (phase === 'Succeeded' && result) {
        returns.set(index, { index, result, state: result.interrupted ? 'partial' : 'complete', note: null });
        continue;
      }
      const why = phase === 'Failed' ? failureOf(pod) : 'succeeded without a result line';
      // A failed pod's last checkpoint is merged, but the worker died: the run fails.
      returns.set(index, { index, result, state: result ? 'partial' : 'missing', note: `pod ${pod.metadata.name} ${why}`, failed: true });
      stopped ??= `worker ${index} (pod ${pod.metadata.name}) ${why}`;
    }
    if (returns.size >= options.workers || stopped) break;
    const diagnosis = await inspectPods(
      kube,
      job,
      { timeoutMs: options.deadlineMs, pollMs: pollInterval(), imageHint: imageHint(options.image) },
      false,
    );
    if (diagnosis.fatal) {
      stopped = diagnosis.fatal;
      for (const line of diagnosis.details) options.say(`  ${line}`);
      break;
    }
    if (hooks.signal?.aborted) {
      stopped = 'stopped by Ctrl-C';
      break;
    }
    if (Date.now() > options.deadline) {
      stopped = `not finished ${formatDuration(options.deadlineMs)} after the Job was created (deadline)`;
      break;
    }
    for (const pod of pods) {
      const reason = pendingReason(pod);
      const index = podIndex(pod);
      if (reason && pendingSaid.get(index) !== reason) {
        pendingSaid.set(index, reason);
        options.say(`worker ${index} (pod ${pod.metadata.name}) is Pending: ${reason}`);
      }
    }
    hooks.onProgress?.(progressLine(pods, returns.size, options));
    try {
      await sleep(pollInterval(), undefined, { signal: hooks.signal });
    } catch {
      // Ctrl-C: handled at the top of the next round.
    }
  }

  // Stopped early: a running worker's last checkpoint is what it has to give.
  for (let index = 0; index < options.workers; index++) {
    if (returns.has(index)) continue;
    const pod = pods.find((p) => podIndex(p) === index);
    const pending = pod && pendingReason(pod);
    const result = pod && !pending ? await readResult(pod) : undefined;
    const note = pending ? `Pending: ${pending}` : !pod ? 'no pod was created' : (stopped ?? 'stopped');
    // Stopped because of another worker or by Ctrl-C is not a failure of its own; not finishing by the deadline is.
    const failed = !result || stopped?.includes('(deadline)') === true;
    returns.set(index, { index, result, state: result ? 'partial' : 'missing', note, failed });
  }
  return { workers: [...returns.values()].sort((a, b) => a.index - b.index), stopped };
}

function progressLine(pods: Pod[], done: number, options: FollowOptions): string {
  const count = (phase: string): number => pods.filter((p) => p.status?.phase === phase).length;
  const untilStart = options.startAt - Date.now();
  const when = untilStart > 0 ? `first send in ${formatDuration(untilStart)}` : `${formatDuration(-untilStart)} into the run`;
  return `${options.workers} workers: ${count('Running')} running, ${count('Pending')} pending, ${done} done; ${when}`;
}

function imageHint(image: string): string {
  return `build the worker image with \`docker build --target load -t ${image} .\` and make it available to the cluster (push it to the registry, or import it as \`qctl up\` does the API image), or name another with --image`;
}
