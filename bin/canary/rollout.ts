import { formatDuration } from '../cli/duration.js';
import { JobError, QctlError, usageError } from '../cli/errors.js';
import type { Kube } from '../kube/client.js';
import { selectorLabels } from '../../infra/labels.js';
import { monitoringNamespaceFor } from '../../infra/context.js';
import { imageVersion, parseImageRef } from '../../infra/image.js';
import type { Environment, EnvironmentName } from '../../infra/environments.js';
import { splitsByWeight } from '../../infra/settings-schema.js';
import { canaryReplicas, canaryTrafficShare, TRACK_LABEL } from '../../infra/charts/canary.js';
import { API_PORT } from '../../infra/charts/app-config.js';
import { guaranteedReplicas } from '../../infra/charts/quote-api.js';
import { API_NAME, PROMETHEUS_NAME, PROMETHEUS_PORT } from '../../infra/monitoring/names.js';
import type { DeployFlavour } from '../deploy/clusters.js';
import { deploy, type EngineResult } from '../deploy/engine.js';
import type { Progress } from '../deploy/progress.js';
import { releaseEngineOptions, synthesizeRelease } from '../deploy/release.js';
import { analyseStep, formatDecision, type Decision } from './analysis.js';
import type { CanaryPlan } from './flags.js';
import { startCanaryLoad, type CanaryLoad, type CanaryLoadSummary } from './load.js';
import { PrometheusClient } from './prometheus.js';
import { apiDeploymentRef, containerImage, readCanary, weightOf, withCanaryState, type CanaryState } from '../deploy/canary-state.js';
// Lives beside readCanary, so that a plain `qctl up` checks for a canary without loading this module (and the charts it uses).
export { refuseDuringCanary } from '../deploy/canary-state.js';
import { checkPrometheusScrapes, EXCLUDED_ROUTES, readVersionNumbers } from './version-metrics.js';

/**
 * A canary release from its first apply to promotion or abort. Each step is an ordinary apply
 * of the whole environment (synth with the stable image and the canary settings on top of the
 * release's --set), so it goes through the same preflight, waits, prune and inventory as
 * `qctl up`; promotion applies the canary's image as the stable one and abort the stable one
 * again, both without the canary settings, which leaves the canary objects to the prune.
 */
export type CanaryContext = {
  root: string;
  env: EnvironmentName;
  namespace: string;
  flavour: DeployFlavour;
  kube: Kube;
  timeoutMs: number;
  progress: Progress;
};

export type CanaryReport = {
  outcome: 'promoted' | 'aborted' | 'in progress' | 'failed';
  image: string;
  stableImage: string;
  weights: number[];
  /** The weight the canary ended at (or is at). */
  weight: number;
  reason?: string;
  /** Finished by qctl promote / qctl abort rather than by the analysis. */
  byHand?: boolean;
  decisions: Decision[];
  /** What --canary-load sent, when it ran. */
  load?: CanaryLoadSummary;
  /** The last apply (step, promotion or abort). */
  result: EngineResult;
};

const tagOf = (ref: string): string => {
  const tag = parseImageRef(ref).tag;
  if (!tag)
    throw usageError(`the canary image ${ref} has no tag: the analysis tells versions apart by tag, so pin one, e.g. --image repo:1.5.0`);
  return tag;
};

/** The --set pairs that turn the canary on at `weight` (applied after the user's). */
export const canarySettings = (image: string, weight: number): string[] => [`canary.tag=${tagOf(image)}`, `canary.weight=${weight}`];

async function apply(ctx: CanaryContext, image: string, set: string[], monitoring: string | undefined, state?: CanaryState) {
  const release = await synthesizeRelease({
    root: ctx.root,
    env: ctx.env,
    namespace: ctx.namespace,
    flavour: ctx.flavour,
    image,
    set,
    monitoring,
  });
  if (state) noteApproximateShare(ctx, release.synth.context.env, weightOf(state));
  const objects = state ? withCanaryState(release.objects, state) : release.objects;
  return deploy(ctx.kube, objects, releaseEngineOptions({ ...ctx, image }, { timeoutMs: ctx.timeoutMs }), ctx.progress);
}

/** Without a weighted router the split follows the replica ratio: say what share that gives. */
function noteApproximateShare(ctx: CanaryContext, settings: Environment, weight: number): void {
  const share = canaryTrafficShare(settings, guaranteedReplicas(settings.api));
  if (share !== weight) {
    ctx.progress.info(
      `note: without a weighted router (ingress.mode gateway or traffic.mesh istio) the split follows the pods: the canary gets about ${share}% of the requests, not ${weight}%`,
    );
  }
}

/** Applies the environment with the canary at the weight of `state.step`, recording the state on it. */
export function applyCanaryStep(ctx: CanaryContext, state: CanaryState): Promise<EngineResult> {
  ctx.progress.info(
    `canary ${state.image} at ${weightOf(state)}% (step ${state.step}/${state.weights.length}), stable ${state.stableImage}`,
  );
  return apply(ctx, state.stableImage, [...state.set, ...canarySettings(state.image, weightOf(state))], state.monitoring, state);
}

/** The stable Deployment takes the canary's image; the canary objects are pruned. */
export function promoteCanary(ctx: CanaryContext, state: CanaryState): Promise<EngineResult> {
  ctx.progress.info(`promote: ${ctx.namespace}/quote-api takes ${state.image}; the canary objects are removed`);
  return apply(ctx, state.image, [...state.set, 'canary.tag=null'], state.monitoring);
}

/** The canary objects are pruned; the stable Deployment keeps its image. */
export function abortCanary(ctx: CanaryContext, state: CanaryState): Promise<EngineResult> {
  ctx.progress.info(`abort: the canary objects are removed; ${ctx.namespace}/quote-api keeps ${state.stableImage}`);
  return apply(ctx, state.stableImage, [...state.set, 'canary.tag=null'], state.monitoring);
}

/**
 * The state a `qctl up --canary` starts from: a new canary beside the live stable Deployment,
 * or the canary of the same image already in progress (an interrupted run), resumed at the
 * first step of the new ladder at or above the weight it had reached.
 */
export async function planCanary(
  kube: Kube,
  namespace: string,
  image: string,
  plan: CanaryPlan,
  release: { set: string[]; monitoring?: string },
): Promise<{ state: CanaryState; resumed: boolean }> {
  const live = await readCanary(kube, namespace);
  if (live && !live.state) {
    throw usageError(
      `Deployment ${namespace}/${live.deployment.metadata.name} exists without qctl's canary state (not made by qctl up --canary): qctl abort removes it`,
    );
  }
  const common = { weights: plan.weights, analysis: plan.analysis };
  if (live?.state) {
    const { state } = live;
    if (state.image !== image) {
      throw usageError(
        `a canary of ${state.image} is in progress in ${namespace} at ${weightOf(state)}%: finish it with qctl promote or qctl abort before releasing ${image}`,
      );
    }
    const reached = weightOf(state);
    const index = plan.weights.findIndex((w) => w >= reached);
    const step = index < 0 ? plan.weights.length : index + 1;
    // The flags of this run win; without any, the release keeps what it was made with.
    const set = release.set.length ? release.set : state.set;
    return { state: { ...state, ...common, step, set, monitoring: release.monitoring ?? state.monitoring }, resumed: true };
  }
  const stable = await kube.read(apiDeploymentRef(namespace));
  const stableImage = stable && containerImage(stable);
  if (!stableImage) {
    throw usageError(`no Deployment ${namespace}/quote-api to run a canary beside: deploy the stable version first with qctl up`);
  }
  if (stableImage === image) throw usageError(`${namespace}/quote-api already runs ${image}: there is nothing new to release as a canary`);
  const [stableRepo, canaryRepo] = [parseImageRef(stableImage).repository, parseImageRef(image).repository];
  if (stableRepo !== canaryRepo) {
    throw usageError(
      `the canary image ${image} is not in the stable image's repository ${stableRepo}: the canary runs ${stableRepo}:<tag>, so ship it there (--registry, or --image ${stableRepo}:TAG)`,
    );
  }
  return {
    state: { image, stableImage, ...common, step: 1, started: new Date().toISOString(), set: release.set, monitoring: release.monitoring },
    resumed: false,
  };
}

export type PrometheusAccess = { client: PrometheusClient; close(): Promise<void> };

/**
 * --prometheus-url, else a port-forward to the environment's own Prometheus (monitoring self,
 * in monitoring-<env>). Operator and none modes have no Prometheus qctl knows: they need the
 * URL (refused offline, before this is called: see requirePrometheusSource).
 */
export async function openPrometheus(ctx: CanaryContext, plan: CanaryPlan, monitoring: string): Promise<PrometheusAccess> {
  if (plan.prometheusUrl) return { client: new PrometheusClient(plan.prometheusUrl), close: async () => undefined };
  requirePrometheusSource(ctx.namespace, plan, monitoring);
  const { forwardToReadyPod } = await import('../kube/port-forward.js');
  const namespace = monitoringNamespaceFor(ctx.env);
  const forward = await forwardToReadyPod(ctx.kube, {
    namespace,
    labelSelector: labelSelector(selectorLabels(ctx.env, PROMETHEUS_NAME)),
    port: PROMETHEUS_PORT,
    what: PROMETHEUS_NAME,
    fix: 'pass --prometheus-url URL',
  });
  ctx.progress.info(`analysis: Prometheus through a port-forward ${forward.url.host} -> ${namespace}/${forward.pod}:${PROMETHEUS_PORT}`);
  return { client: new PrometheusClient(forward.url.href), close: forward.close };
}

/** Offline: an analysis needs --prometheus-url unless qctl runs the environment's Prometheus itself (monitoring self). */
export function requirePrometheusSource(namespace: string, plan: CanaryPlan, monitoring: string): void {
  if (!plan.analysis || plan.prometheusUrl || monitoring === 'self') return;
  throw usageError(
    `with --monitoring ${monitoring} qctl has no Prometheus of its own to ask: pass --prometheus-url URL (a Prometheus that scrapes ${namespace}), or --no-analysis`,
  );
}

/**
 * Before anything is applied: Prometheus is reached and answers the analysis's query for this
 * namespace, or the release is refused (exit 2, nothing changed). Closes the access on refusal.
 */
export async function checkPrometheus(access: PrometheusAccess, namespace: string): Promise<void> {
  let problem: string | undefined;
  try {
    problem = await checkPrometheusScrapes(access.client, namespace, Date.now());
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  if (problem === undefined) return;
  await access.close();
  throw usageError(
    `the canary analysis cannot use Prometheus at ${access.client.baseUrl}: ${problem}; nothing was applied (fix --prometheus-url, or --no-analysis)`,
  );
}

const labelSelector = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** --canary-load's way in: a port-forward to a ready canary pod (called once the canary runs). */
export async function forwardToCanary(ctx: CanaryContext): Promise<{ url: URL; close(): Promise<void> }> {
  const { forwardToReadyPod } = await import('../kube/port-forward.js');
  const forward = await forwardToReadyPod(ctx.kube, {
    namespace: ctx.namespace,
    labelSelector: labelSelector({ ...selectorLabels(ctx.env, API_NAME), [TRACK_LABEL]: 'canary' }),
    port: API_PORT,
    what: 'canary',
    fix: 'run without --canary-load',
  });
  return { url: forward.url, close: forward.close };
}

/**
 * The ladder as traffic will really be split. With a weighted router (gateway mode, Istio) the
 * weights as given. Otherwise the Service spreads requests over every pod, so a share is a
 * replica count: each weight becomes the share its canary pod count gives, and weights that give
 * the same count as the step before are left out (a step that moves no traffic is not waited on).
 * The notes say so before anything starts.
 */
export function realSteps(settings: Environment, weights: number[]): { weights: number[]; notes: string[] } {
  if (splitsByWeight(settings)) return { weights, notes: [] };
  const stable = guaranteedReplicas(settings.api);
  const at = (weight: number) => ({ ...settings, canary: { ...settings.canary, weight } });
  const steps: { weight: number; pods: number; share: number; asked: number[] }[] = [];
  for (const asked of weights) {
    const pods = canaryReplicas(at(asked), stable);
    const share = canaryTrafficShare(at(asked), stable);
    const previous = steps.at(-1);
    if (previous && previous.pods === pods) {
      previous.asked.push(asked);
      continue;
    }
    // The share itself as the weight when it gives the same pods (it does unless the canary has many times the stable pods).
    const weight = canaryReplicas(at(share), stable) === pods ? share : asked;
    steps.push({ weight, pods, share, asked: [asked] });
  }
  const real = steps.map((s) => s.weight);
  const same = real.length === weights.length && real.every((w, i) => w === weights[i]);
  if (same) return { weights, notes: [] };
  const most = Math.max(settings.canary.replicas, stable);
  const possible = Array.from({ length: most }, (_, i) => Math.round((100 * (i + 1)) / (i + 1 + stable)));
  const podsText = (n: number) => `${n} pod${n === 1 ? '' : 's'}`;
  const notes = [
    `steps: without a weighted router (ingress.mode gateway or traffic.mesh istio) the split follows the pods: beside ${podsText(stable)} of the stable version the canary (at most ${podsText(most)}, canary.replicas) can take ${possible.map((p) => `${p}%`).join(', ')}`,
    `steps: ${weights.map((w) => `${w}%`).join(' -> ')} runs as ${steps.map((s) => `${s.share}% (${podsText(s.pods)}${s.asked.length > 1 || s.asked[0] !== s.share ? `, for ${s.asked.map((w) => `${w}%`).join(' and ')}` : ''})`).join(' -> ')}`,
  ];
  return { weights: real, notes };
}

export type AnalysisAccess = {
  prometheus: PrometheusAccess;
  /** Where --canary-load sends; opened once the canary runs, closed with the analysis. */
  canaryTarget?: () => Promise<{ url: URL; close(): Promise<void> }>;
};

/**
 * Runs the release from `state`: applies the current step, then (with analysis) checks each
 * step, moves up the ladder, and promotes after the last or aborts on the first failure.
 * `access` was opened and checked before anything was applied (none without analysis).
 */
export async function runCanary(ctx: CanaryContext, start: CanaryState, plan: CanaryPlan, access?: AnalysisAccess): Promise<CanaryReport> {
  const decisions: Decision[] = [];
  let state = start;
  let loadSummary: CanaryLoadSummary | undefined;
  const report = (outcome: CanaryReport['outcome'], result: EngineResult, reason?: string): CanaryReport => ({
    outcome,
    image: state.image,
    stableImage: state.stableImage,
    weights: state.weights,
    weight: weightOf(state),
    ...(reason ? { reason } : {}),
    decisions,
    ...(loadSummary ? { load: loadSummary } : {}),
    result,
  });
  /** What a failure after the first write leaves, and how to finish. */
  const left = () =>
    `the canary ${state.image} is left at ${weightOf(state)}% beside ${state.stableImage}: resume with the same qctl up --canary, or finish with qctl promote / qctl abort${ctx.env === 'dev' ? '' : ` --env ${ctx.env}`}`;
  const abortBecause = async (why: string) => {
    // A failed wait's diagnosis spans lines: all of it is printed here, its first line is the reason.
    ctx.progress.info(`canary aborted: ${why}`);
    const reason = why.split('\n')[0]!;
    const result = await abortCanary(ctx, state);
    if (result.ok) return report('aborted', result, reason);
    return report('failed', result, `${reason}; removing the canary failed too: ${result.error?.message ?? 'apply failed'}; ${left()}`);
  };
  const notUp = (failed: EngineResult) =>
    abortBecause(`the canary at ${weightOf(state)}% did not come up: ${failed.error?.message ?? 'apply failed'}`);

  // Interrupted, the canary stays where it is: its state is in the cluster, so say how to go on.
  const onInterrupt = () => {
    process.stderr.write(
      `\nqctl: interrupted: the canary ${state.image} stays at ${weightOf(state)}%; resume with the same qctl up --canary, or finish with qctl promote / qctl abort --env ${ctx.env}\n`,
    );
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    return await release();
  } catch (error) {
    // Everything judged offline was judged before the first write: what fails now leaves a canary behind.
    if (error instanceof QctlError && error.message === '') throw error;
    throw new JobError(`${error instanceof Error ? error.message : String(error)}; ${left()}`);
  } finally {
    process.off('SIGINT', onInterrupt);
    await access?.prometheus.close();
  }

  async function release(): Promise<CanaryReport> {
    let result = await applyCanaryStep(ctx, state);
    if (!result.ok) return notUp(result);
    if (!plan.analysis || !access) return report('in progress', result);
    // The step's weight took effect once its apply (and the rollout wait) finished.
    let stepStarted = Date.now();
    const client = access.prometheus.client;
    // The version label of each track's series (APP_VERSION, see infra/image.ts).
    const [stableVersion, canaryVersion] = [imageVersion(parseImageRef(state.stableImage)), tagOf(state.image)];
    ctx.progress.info(
      `analysis: user requests of ${ctx.namespace} (every route but ${EXCLUDED_ROUTES.join(', ')}) of version ${canaryVersion} against ${stableVersion}; a check every ${formatDuration(plan.policy.intervalMs)}, each judging the requests since the previous one (the first since the step took effect), ${plan.policy.checks} passing per step`,
    );
    let load: CanaryLoad | undefined;
    let target: { url: URL; close(): Promise<void> } | undefined;
    try {
      if (plan.loadRate > 0 && access.canaryTarget) {
        target = await access.canaryTarget();
        load = await startCanaryLoad(target.url, plan.loadRate);
        ctx.progress.info(`canary load: ${load.description}`);
      }
      for (;;) {
        const passed = await ctx.progress.step(
          `Analyse step ${state.step}/${state.weights.length}: canary at ${weightOf(state)}%`,
          (log) =>
            analyseStep({
              step: state.step,
              steps: state.weights.length,
              weight: weightOf(state),
              startedMs: stepStarted,
              thresholds: plan.thresholds,
              policy: plan.policy,
              measure: async (window) => {
                const numbers = await readVersionNumbers(client, {
                  namespace: ctx.namespace,
                  window,
                  versions: [stableVersion, canaryVersion],
                });
                return { canary: numbers[canaryVersion]!, stable: numbers[stableVersion]! };
              },
              onDecision: (decision) => {
                decisions.push(decision);
                log(formatDecision(decision));
              },
            }),
          (ok) => ok,
        );
        if (!passed) return await abortBecause(decisions.at(-1)?.reason ?? 'the analysis failed');
        if (state.step === state.weights.length) break;
        state = { ...state, step: state.step + 1 };
        result = await applyCanaryStep(ctx, state);
        if (!result.ok) return await notUp(result);
        stepStarted = Date.now();
      }
    } finally {
      if (load) loadSummary = await load.stop();
      await target?.close();
    }
    result = await promoteCanary(ctx, state);
    return report(
      result.ok ? 'promoted' : 'failed',
      result,
      result.ok ? undefined : `promotion failed: ${result.error?.message ?? 'apply failed'}; ${left()}`,
    );
  }
}
