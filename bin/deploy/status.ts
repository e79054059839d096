import { parseOutputMode, printJson, printText } from '../cli/output.js';
import { quoteOutside } from '../cli/safe-text.js';
import type { Kube } from '../kube/client.js';
import { ENV_LABEL, type KubeObject } from '../kube/objects.js';
import { readiness } from './waits.js';
import { CANARY_NAME, containerImage, parseCanaryState, weightOf } from './canary-state.js';
import { openSession, type DeployTarget } from './session.js';
/** What `qctl status` needs; bin/commands/status.ts turns the flags into it. */
export type StatusOptions = { target: DeployTarget; output: string };

export type StatusReport = {
  env: string;
  namespace: string;
  context: string;
  deployed: boolean;
  workloads: { kind: string; namespace: string; name: string; ready: number; desired: number; upToDate: boolean; images: string[] }[];
  hpas: { namespace: string; name: string; current: number; desired: number; min: number; max: number; cpu?: string }[];
  jobs: { namespace: string; name: string; status: 'complete' | 'failed' | 'running'; succeeded: number; failed: number }[];
  /** CronJobs (e.g. added through qctl.extensions.ts): schedule, whether suspended, last run. */
  cronJobs: { namespace: string; name: string; schedule: string; suspended: boolean; active: number; lastSchedule?: string }[];
  pvcs: { namespace: string; name: string; phase: string; capacity?: string }[];
  warnings: { namespace: string; object: string; reason: string; message: string; count: number; last?: string }[];
  /** The canary release in progress (qctl up --canary), or null. */
  canary: CanaryStatus | null;
};

export type CanaryStatus = {
  image: string;
  /** Unknown (null) for a canary Deployment without qctl's state, as is the rest of its ladder. */
  stableImage: string | null;
  weight: number | null;
  step: number | null;
  steps: number | null;
  analysis: 'auto' | 'manual' | null;
  started: string | null;
};

function canaryStatus(deployments: KubeObject[]): CanaryStatus | null {
  const deployment = deployments.find((d) => d.metadata.name === CANARY_NAME);
  if (!deployment) return null;
  const state = parseCanaryState(deployment);
  if (!state) {
    const image = containerImage(deployment) ?? '?';
    return { image, stableImage: null, weight: null, step: null, steps: null, analysis: null, started: null };
  }
  return {
    image: state.image,
    stableImage: state.stableImage,
    weight: weightOf(state),
    step: state.step,
    steps: state.weights.length,
    analysis: state.analysis ? 'auto' : 'manual',
    started: state.started || null,
  };
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

function images(object: KubeObject): string[] {
  const spec = object.spec as { template?: { spec?: { containers?: { image: string }[] } } } | undefined;
  return (spec?.template?.spec?.containers ?? []).map((c) => c.image);
}

export async function collectStatus(kube: Kube, env: string, namespace: string): Promise<StatusReport> {
  const label = `${ENV_LABEL}=${env}`;
  const byLabel = (apiVersion: string, kind: string) => kube.list(apiVersion, kind, undefined, { label });
  const [deployments, statefulsets, hpas, jobs, cronJobs, labelledPvcs, appPvcs, events, ns] = await Promise.all([
    byLabel('apps/v1', 'Deployment'),
    byLabel('apps/v1', 'StatefulSet'),
    byLabel('autoscaling/v2', 'HorizontalPodAutoscaler'),
    byLabel('batch/v1', 'Job'),
    byLabel('batch/v1', 'CronJob'),
    byLabel('v1', 'PersistentVolumeClaim'),
    // StatefulSet claims carry the template's labels, which may not include the env label.
    kube.list('v1', 'PersistentVolumeClaim', namespace),
    kube.list('v1', 'Event', namespace, { field: 'type=Warning' }),
    kube.read({ apiVersion: 'v1', kind: 'Namespace', name: namespace }),
  ]);
  const workloads = [...deployments, ...statefulsets].map((w) => {
    const status = (w.status ?? {}) as Record<string, unknown>;
    const desired = num((w.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    return {
      kind: w.kind,
      namespace: w.metadata.namespace!,
      name: w.metadata.name,
      ready: num(status.readyReplicas),
      desired,
      upToDate: readiness(w).ready,
      images: images(w),
    };
  });
  const pvcs = new Map<string, StatusReport['pvcs'][number]>();
  for (const pvc of [...appPvcs, ...labelledPvcs]) {
    const status = (pvc.status ?? {}) as { phase?: string; capacity?: { storage?: string } };
    pvcs.set(`${pvc.metadata.namespace}/${pvc.metadata.name}`, {
      namespace: pvc.metadata.namespace!,
      name: pvc.metadata.name,
      phase: status.phase ?? 'Pending',
      capacity: status.capacity?.storage,
    });
  }
  const time = (e: KubeObject) => String(e.lastTimestamp ?? e.eventTime ?? (e.metadata.creationTimestamp as string | undefined) ?? '');
  return {
    env,
    namespace,
    context: kube.target.context,
    deployed: ns !== undefined,
    workloads,
    hpas: hpas.map((h) => {
      const spec = (h.spec ?? {}) as { minReplicas?: number; maxReplicas?: number };
      const status = (h.status ?? {}) as {
        currentReplicas?: number;
        desiredReplicas?: number;
        currentMetrics?: { resource?: { name: string; current?: { averageUtilization?: number } } }[];
      };
      const cpu = status.currentMetrics?.find((m) => m.resource?.name === 'cpu')?.resource?.current?.averageUtilization;
      return {
        namespace: h.metadata.namespace!,
        name: h.metadata.name,
        current: num(status.currentReplicas),
        desired: num(status.desiredReplicas),
        min: spec.minReplicas ?? 1,
        max: num(spec.maxReplicas),
        ...(cpu !== undefined ? { cpu: `${cpu}%` } : {}),
      };
    }),
    jobs: jobs.map((j) => {
      const state = readiness(j);
      const status = (j.status ?? {}) as { succeeded?: number; failed?: number };
      return {
        namespace: j.metadata.namespace!,
        name: j.metadata.name,
        status: state.fatal ? ('failed' as const) : state.ready ? ('complete' as const) : ('running' as const),
        succeeded: num(status.succeeded),
        failed: num(status.failed),
      };
    }),
    cronJobs: cronJobs.map((c) => {
      const spec = (c.spec ?? {}) as { schedule?: string; suspend?: boolean };
      const status = (c.status ?? {}) as { active?: unknown[]; lastScheduleTime?: string };
      return {
        namespace: c.metadata.namespace!,
        name: c.metadata.name,
        schedule: spec.schedule ?? '',
        suspended: spec.suspend === true,
        active: status.active?.length ?? 0,
        ...(status.lastScheduleTime ? { lastSchedule: status.lastScheduleTime } : {}),
      };
    }),
    pvcs: [...pvcs.values()],
    canary: canaryStatus(deployments),
    warnings: events
      .sort((a, b) => time(a).localeCompare(time(b)))
      .slice(-10)
      .map((e) => {
        const involved = (e.involvedObject ?? {}) as { kind?: string; name?: string };
        return {
          namespace,
          object: `${involved.kind ?? '?'}/${involved.name ?? '?'}`,
          reason: String(e.reason ?? ''),
          message: String(e.message ?? ''),
          count: num(e.count) || 1,
          last: time(e) || undefined,
        };
      }),
  };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

export function formatStatus(report: StatusReport): string[] {
  const lines = [`env ${report.env} (namespace ${report.namespace}, context ${report.context})`];
  if (!report.deployed) return [...lines, 'not deployed: run qctl up'];
  if (report.workloads.length) {
    lines.push(
      '',
      ...table([
        ['WORKLOAD', 'READY', 'UP-TO-DATE', 'IMAGE'],
        ...report.workloads.map((w) => [
          `${w.kind.toLowerCase()}/${w.name}`,
          `${w.ready}/${w.desired}`,
          w.upToDate ? 'yes' : 'no',
          w.images.join(','),
        ]),
      ]),
    );
  }
  if (report.hpas.length) {
    lines.push(
      '',
      ...table([
        ['HPA', 'CURRENT', 'DESIRED', 'MIN', 'MAX', 'CPU'],
        ...report.hpas.map((h) => [h.name, String(h.current), String(h.desired), String(h.min), String(h.max), h.cpu ?? '-']),
      ]),
    );
  }
  if (report.jobs.length)
    lines.push(
      '',
      ...table([
        ['JOB', 'STATUS', 'SUCCEEDED', 'FAILED'],
        ...report.jobs.map((j) => [j.name, j.status, String(j.succeeded), String(j.failed)]),
      ]),
    );
  if (report.cronJobs.length)
    lines.push(
      '',
      ...table([
        ['CRONJOB', 'SCHEDULE', 'SUSPENDED', 'ACTIVE', 'LAST SCHEDULE'],
        ...report.cronJobs.map((c) => [c.name, c.schedule, c.suspended ? 'yes' : 'no', String(c.active), c.lastSchedule ?? '-']),
      ]),
    );
  if (report.pvcs.length)
    lines.push(
      '',
      ...table([['PVC', 'STATUS', 'CAPACITY'], ...report.pvcs.map((p) => [`${p.namespace}/${p.name}`, p.phase, p.capacity ?? '-'])]),
    );
  if (report.canary) lines.push('', describeCanary(report.canary));
  lines.push('', report.warnings.length ? 'recent warnings:' : 'no recent Warning events');
  // The cluster's words, one line each: a newline inside an event message must not forge a line of ours.
  for (const w of report.warnings) {
    lines.push(`  ${quoteOutside(w.object)} ${quoteOutside(w.reason)}: ${quoteOutside(w.message)}${w.count > 1 ? ` (x${w.count})` : ''}`);
  }
  return lines;
}

function describeCanary(c: CanaryStatus): string {
  if (c.weight === null) return `canary in progress: ${c.image} (without qctl's canary state): finish with qctl promote or qctl abort`;
  const started = c.started ? `, started ${c.started}` : '';
  const head = `canary in progress: ${c.image} takes ${c.weight}% (step ${c.step}/${c.steps}, ${c.analysis}${started}) beside ${c.stableImage}`;
  if (c.analysis === 'manual') return `${head}: no automatic analysis; finish with qctl promote or qctl abort`;
  // The state cannot tell a running analysis from an interrupted one: say both.
  return `${head}: qctl up --canary analyses it and promotes or aborts on its own; if that run was stopped, resume it with the same qctl up --canary (or finish by hand with qctl promote / qctl abort)`;
}

export async function runStatus(root: string, flags: StatusOptions): Promise<number> {
  const mode = parseOutputMode(flags.output);
  const session = await openSession(flags.target);
  const report = await collectStatus(session.kube, session.env, session.namespace);
  if (mode === 'json') printJson(report);
  else printText(`${formatStatus(report).join('\n')}\n`);
  return 0;
}
