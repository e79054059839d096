import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../cli/duration.js';
import { JobError } from '../cli/errors.js';
import type { Kube } from '../kube/client.js';
import { describeRef, type KubeObject, type ObjectRef } from '../kube/objects.js';

/**
 * Waits for workloads with a deadline per object, and explains failures: the object, the
 * reason (ImagePullBackOff with the image, CrashLoopBackOff with the last log lines, the
 * scheduler's message for Pending pods, a failed Job's logs) and the recent Warning events.
 */

export type WaitOptions = {
  timeoutMs: number;
  pollMs: number;
  /** What to check when an image cannot be pulled, specific to the cluster flavour. */
  imageHint: string;
  onProgress?: (line: string) => void;
};

export type Diagnosis = { object: string; reason: string; details: string[] };

export class WaitError extends JobError {
  constructor(readonly diagnosis: Diagnosis) {
    super([`${diagnosis.object} failed: ${diagnosis.reason}`, ...diagnosis.details.map((d) => `  ${d}`)].join('\n'));
    this.name = 'WaitError';
  }
}

type Readiness = { ready: boolean; progress: string; fatal?: string };

type Status = Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string; message?: string }[] };

function condition(object: KubeObject, type: string): { status: string; reason?: string; message?: string } | undefined {
  return ((object.status ?? {}) as Status).conditions?.find((c) => c.type === type);
}

/** Pure: is this object ready, and if not, how far along is it? */
export function readiness(object: KubeObject): Readiness {
  const status = (object.status ?? {}) as Record<string, number | undefined>;
  const spec = (object.spec ?? {}) as { replicas?: number; completions?: number };
  const generation = (object.metadata.generation as number | undefined) ?? 0;
  const observed = status.observedGeneration ?? 0;
  const desired = spec.replicas ?? 1;
  switch (object.kind) {
    case 'Deployment': {
      const progressing = condition(object, 'Progressing');
      if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
        return {
          ready: false,
          progress: 'rollout stalled',
          fatal: `rollout exceeded its progress deadline${progressing.message ? ` (${progressing.message})` : ''}`,
        };
      }
      const updated = status.updatedReplicas ?? 0;
      const available = status.availableReplicas ?? 0;
      const total = status.replicas ?? 0;
      const ready = observed >= generation && updated >= desired && available >= desired && total <= updated;
      return { ready, progress: `${available}/${desired} available, ${updated} updated` };
    }
    case 'StatefulSet': {
      const readyReplicas = status.readyReplicas ?? 0;
      const updated = status.updatedReplicas ?? readyReplicas;
      return {
        ready: observed >= generation && readyReplicas >= desired && updated >= desired,
        progress: `${readyReplicas}/${desired} ready`,
      };
    }
    case 'DaemonSet': {
      const want = status.desiredNumberScheduled ?? 0;
      const readyCount = status.numberReady ?? 0;
      return {
        ready: observed >= generation && want > 0 && readyCount >= want && (status.updatedNumberScheduled ?? 0) >= want,
        progress: `${readyCount}/${want} ready`,
      };
    }
    case 'Job': {
      const failed = condition(object, 'Failed');
      if (failed?.status === 'True')
        return {
          ready: false,
          progress: 'failed',
          fatal: `Job failed${failed.reason ? ` (${failed.reason}${failed.message ? `: ${failed.message}` : ''})` : ''}`,
        };
      const succeeded = status.succeeded ?? 0;
      const complete = condition(object, 'Complete')?.status === 'True' || succeeded >= (spec.completions ?? 1);
      return { ready: complete, progress: complete ? 'complete' : `${status.active ?? 0} active, ${status.failed ?? 0} failed attempts` };
    }
    case 'Cluster': {
      // CloudNativePG: Ready once every instance runs and the primary accepts connections.
      const instances = (object.spec as { instances?: number } | undefined)?.instances ?? 1;
      const readyInstances = status.readyInstances ?? 0;
      const ready = condition(object, 'Ready')?.status === 'True' && readyInstances >= instances;
      return { ready, progress: `${readyInstances}/${instances} instances ready` };
    }
    default:
      return { ready: true, progress: 'applied' };
  }
}

type PodStatus = {
  phase?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
};
type ContainerStatus = {
  name: string;
  image: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { exitCode?: number; reason?: string } };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
};

const IMAGE_PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);

export function podSelector(object: KubeObject): string | undefined {
  const matchLabels = (object.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
  if (matchLabels && Object.keys(matchLabels).length > 0)
    return Object.entries(matchLabels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  if (object.kind === 'Job') return `job-name=${object.metadata.name}`;
  if (object.kind === 'Cluster') return `cnpg.io/cluster=${object.metadata.name}`;
  return undefined;
}

/** Looks at the workload's pods for a reason that will not fix itself. */
export async function inspectPods(
  kube: Kube,
  object: KubeObject,
  options: WaitOptions,
  final: boolean,
): Promise<{ fatal?: string; details: string[] }> {
  const namespace = object.metadata.namespace!;
  const selector = podSelector(object);
  if (!selector) return { details: [] };
  const pods = await kube.list('v1', 'Pod', namespace, { label: selector });
  const details: string[] = [];
  let fatal: string | undefined;
  for (const pod of pods) {
    const podName = pod.metadata.name;
    const status = (pod.status ?? {}) as PodStatus;
    for (const container of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) {
      const waiting = container.state?.waiting;
      if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
        fatal ??= `${waiting.reason}: pod ${podName} cannot pull image "${container.image}"`;
        details.push(
          `${waiting.reason}: image "${container.image}" (container ${container.name} in pod ${podName})${waiting.message ? `: ${waiting.message}` : ''}`,
        );
        details.push(`fix: ${options.imageHint}`);
      } else if (
        waiting?.reason === 'CrashLoopBackOff' ||
        (object.kind === 'Job' && container.state?.terminated && container.state.terminated.exitCode !== 0)
      ) {
        const last = container.lastState?.terminated ?? container.state?.terminated;
        fatal ??= `${waiting?.reason ?? 'container failed'}: container ${container.name} in pod ${podName}${last?.exitCode !== undefined ? ` exited with code ${last.exitCode}` : ''} (restarts: ${container.restartCount ?? 0})`;
        let logs = await kube.logs(namespace, podName, { container: container.name, previous: true, tailLines: 20 });
        if (!logs.trim()) logs = await kube.logs(namespace, podName, { container: container.name, tailLines: 20 });
        details.push(`${waiting?.reason ?? 'failed'}: container ${container.name} in pod ${podName}, last log lines:`);
        details.push(
          ...(logs.trim()
            ? logs
                .trimEnd()
                .split('\n')
                .map((l) => `  | ${l}`)
            : ['  | (no logs)']),
        );
      } else if (waiting?.reason === 'CreateContainerConfigError' || waiting?.reason === 'CreateContainerError') {
        fatal ??= `${waiting.reason}: pod ${podName}${waiting.message ? `: ${waiting.message}` : ''}`;
        details.push(`${waiting.reason}: ${waiting.message ?? 'container could not be created'} (pod ${podName})`);
      } else if (final && waiting?.reason) {
        details.push(
          `pod ${podName} container ${container.name} waiting: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`,
        );
      }
    }
    const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
    if (final && scheduled?.status === 'False') {
      details.push(`pod ${podName} is Pending: ${scheduled.message ?? scheduled.reason ?? 'not scheduled'}`);
    }
    if (fatal || final) details.push(...(await warningEvents(kube, namespace, podName)));
  }
  if (final && object.kind === 'Job' && !fatal) {
    for (const pod of pods.slice(-1)) {
      const logs = await kube.logs(namespace, pod.metadata.name, { tailLines: 20 });
      if (logs.trim())
        details.push(
          `last log lines of pod ${pod.metadata.name}:`,
          ...logs
            .trimEnd()
            .split('\n')
            .map((l) => `  | ${l}`),
        );
    }
  }
  return { fatal, details };
}

async function warningEvents(kube: Kube, namespace: string, name: string): Promise<string[]> {
  const events = await kube.list('v1', 'Event', namespace, { field: `involvedObject.name=${name}` });
  return (
    events
      .filter((e) => e.type === 'Warning')
      .map((e) => `event ${String(e.reason)} on ${name}: ${String(e.message)}`)
      // A real scheduler logs the same FailedScheduling warning again on every retry: say it once.
      .filter((line, i, lines) => lines.indexOf(line) === i)
      .slice(-5)
  );
}

/** Waits until `ref` is ready, or throws a WaitError naming what went wrong. */
export async function waitReady(kube: Kube, ref: ObjectRef, options: WaitOptions): Promise<void> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let lastProgress = '';
  for (;;) {
    const object = await kube.read(ref);
    if (object) {
      const state = readiness(object);
      if (state.ready) return;
      const pods = await inspectPods(kube, object, options, state.fatal !== undefined);
      const fatal = state.fatal ?? pods.fatal;
      if (fatal) {
        const details = [...pods.details, ...(await warningEvents(kube, object.metadata.namespace!, object.metadata.name))];
        throw new WaitError({ object: describeRef(ref), reason: fatal, details });
      }
      if (state.progress !== lastProgress) {
        lastProgress = state.progress;
        options.onProgress?.(`${describeRef(ref)}: ${state.progress}`);
      }
    }
    if (Date.now() + options.pollMs > deadline) {
      const details: string[] = [];
      if (object) {
        details.push(`last state: ${readiness(object).progress}`);
        details.push(...(await inspectPods(kube, object, options, true)).details);
        details.push(...(await warningEvents(kube, object.metadata.namespace!, object.metadata.name)));
      } else {
        details.push('the object was never found after apply');
      }
      details.push(`fix: look at the details above, or allow more time with --timeout (it was ${formatDuration(options.timeoutMs)})`);
      throw new WaitError({ object: describeRef(ref), reason: `not ready after ${formatDuration(options.timeoutMs)} (timeout)`, details });
    }
    await sleep(options.pollMs);
  }
}
