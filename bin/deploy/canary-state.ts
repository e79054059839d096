import { JobError, usageError } from '../cli/errors.js';
import type { Kube } from '../kube/client.js';
import { API_CONTAINER, API_NAME } from '../../infra/monitoring/names.js';
import type { KubeObject, ObjectRef } from '../kube/objects.js';

/**
 * Where a canary release keeps its state: annotations on the canary Deployment itself. It
 * exists exactly as long as the canary does (promotion and abort prune it with the other
 * canary objects), any machine can read it, and an interrupted `qctl up --canary` or a later
 * `qctl promote` / `qctl abort` / `qctl status` finds everything it needs there: which image
 * is stable, which step the ladder is at, and the --set/--monitoring the release was made with.
 */
/** The name infra/charts/canary.ts gives the canary (importing it would load cdk8s into qctl status). */
export const CANARY_NAME = `${API_NAME}-canary`;

export type CanaryState = {
  /** The canary's image reference. */
  image: string;
  /** The image the stable Deployment runs (and keeps on abort). */
  stableImage: string;
  /** The weight ladder in percent; promotion follows the last step. */
  weights: number[];
  /** 1-based step of the ladder the canary is at. */
  step: number;
  started: string;
  /** false: no automatic analysis, the canary waits for qctl promote / qctl abort. */
  analysis: boolean;
  /** The user's --set of the release (the canary settings are added on top). */
  set: string[];
  monitoring?: string;
};

const PREFIX = 'qctl.dev/canary-';

export const apiDeploymentRef = (namespace: string, name = API_NAME): ObjectRef => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace,
  name,
});

export const weightOf = (state: CanaryState): number => state.weights[state.step - 1]!;

export function canaryAnnotations(state: CanaryState): Record<string, string> {
  return {
    [`${PREFIX}image`]: state.image,
    [`${PREFIX}stable-image`]: state.stableImage,
    [`${PREFIX}weights`]: state.weights.join(','),
    [`${PREFIX}step`]: String(state.step),
    [`${PREFIX}weight`]: String(weightOf(state)),
    [`${PREFIX}started`]: state.started,
    [`${PREFIX}analysis`]: state.analysis ? 'auto' : 'manual',
    [`${PREFIX}set`]: JSON.stringify(state.set),
    ...(state.monitoring ? { [`${PREFIX}monitoring`]: state.monitoring } : {}),
  };
}

/** The state recorded on a live canary Deployment; undefined when it carries none (not made by qctl up --canary). */
export function parseCanaryState(deployment: KubeObject): CanaryState | undefined {
  const annotations = (deployment.metadata.annotations ?? {}) as Record<string, string>;
  const get = (key: string) => annotations[`${PREFIX}${key}`];
  const image = get('image') ?? containerImage(deployment);
  const stableImage = get('stable-image');
  const weights = (get('weights') ?? '')
    .split(',')
    .filter(Boolean)
    .map(Number)
    .filter((w) => Number.isInteger(w) && w > 0 && w <= 100);
  const step = Number(get('step'));
  if (!image || !stableImage || weights.length === 0 || !Number.isInteger(step) || step < 1 || step > weights.length) return undefined;
  let set: string[] = [];
  try {
    const parsed = JSON.parse(get('set') ?? '[]') as unknown;
    if (Array.isArray(parsed)) set = parsed.map(String);
  } catch {
    set = [];
  }
  return {
    image,
    stableImage,
    weights,
    step,
    started: get('started') ?? '',
    analysis: get('analysis') !== 'manual',
    set,
    monitoring: get('monitoring') || undefined,
  };
}

/** The image of the API container of a Deployment (its first container when none has the API's name). */
export function containerImage(deployment: KubeObject): string | undefined {
  const containers =
    (deployment.spec as { template?: { spec?: { containers?: { name?: string; image?: string }[] } } } | undefined)?.template?.spec
      ?.containers ?? [];
  return (containers.find((c) => c.name === API_CONTAINER) ?? containers[0])?.image;
}

export type LiveCanary = { deployment: KubeObject; state?: CanaryState };

export async function readCanary(kube: Kube, namespace: string): Promise<LiveCanary | undefined> {
  const deployment = await kube.read(apiDeploymentRef(namespace, CANARY_NAME));
  return deployment && { deployment, state: parseCanaryState(deployment) };
}

/** The objects of a release with the canary state written onto the canary Deployment. */
export function withCanaryState(objects: KubeObject[], state: CanaryState): KubeObject[] {
  const index = objects.findIndex((o) => o.kind === 'Deployment' && o.metadata.name === CANARY_NAME);
  if (index < 0) {
    throw new JobError(
      `the manifests have no Deployment ${CANARY_NAME} although canary.tag is set: infra/ and qctl disagree, please report it`,
    );
  }
  const canary = objects[index]!;
  const annotated: KubeObject = {
    ...canary,
    metadata: {
      ...canary.metadata,
      annotations: { ...(canary.metadata.annotations as Record<string, string> | undefined), ...canaryAnnotations(state) },
    },
  };
  return objects.map((o, i) => (i === index ? annotated : o));
}

/**
 * A plain `qctl up` would prune a canary in progress and roll its image nowhere, or strip the
 * state of a `qctl up --canary` rollout: it is refused until the canary is finished. A canary the
 * settings themselves declare (canary.tag, no rollout state) is the release's own: re-applying it is fine.
 */
export async function refuseDuringCanary(kube: Kube, namespace: string, releaseHasCanary: boolean): Promise<undefined> {
  const live = await readCanary(kube, namespace);
  if (!live || (releaseHasCanary && !live.state)) return undefined;
  const image = live.state?.image ?? containerImage(live.deployment);
  const at = live.state ? ` at ${weightOf(live.state)}%` : '';
  throw usageError(
    `a canary of ${image} is in progress in ${namespace}${at}: finish it with qctl promote or qctl abort (or resume it with qctl up --canary) before a plain qctl up`,
  );
}
