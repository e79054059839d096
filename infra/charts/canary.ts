import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { SynthContext } from '../context.js';
import { imageVersion, parseImageRef, type ImageRef } from '../image.js';
import { clusterIpService, servicePort } from '../objects.js';
import { splitsByWeight, type EnvironmentSettings } from '../settings-schema.js';
import type { StackProps } from './props.js';

/**
 * A canary release: the new image as a second Deployment beside the stable one, with the same
 * pod template apart from the image, APP_VERSION and the track label. Names (a contract with
 * `qctl up --canary`, `promote`, `abort` and `status`):
 *   Deployment quote-api-canary   pods labelled qctl.dev/track=canary
 *   Service    quote-api-canary   the canary's pods only
 *   Service    quote-api-stable   the stable pods only (qctl.dev/track=stable), for weighted routes
 *   Service    quote-api          both tracks, as before (Ingress, NodePort, port-forward, scrapes)
 */
export const TRACK_LABEL = 'qctl.dev/track';
export const CANARY_NAME = 'quote-api-canary';
export const STABLE_SERVICE_NAME = 'quote-api-stable';

export interface CanaryProps {
  /** The canary's image: the stable image's repository with `canary.tag`. */
  image: ImageRef;
  /** Pods of the canary Deployment. */
  replicas: number;
}

type TrafficSplitSettings = Pick<EnvironmentSettings, 'ingress' | 'traffic'> & {
  canary: Pick<EnvironmentSettings['canary'], 'weight' | 'replicas'>;
};

/** The canary of the environment, or null when canary.tag is null. `stableReplicas`: pods the stable Deployment is sure to run. */
export function canaryPropsFrom(ctx: SynthContext, stableReplicas: number): CanaryProps | null {
  const { tag } = ctx.env.canary;
  if (tag === null) return null;
  return { image: parseImageRef(`${ctx.image.repository}:${tag}`, 'canary.tag'), replicas: canaryReplicas(ctx.env, stableReplicas) };
}

/**
 * Pods of the canary. Where a router splits by weight, `canary.replicas`. Elsewhere the Service
 * spreads requests over every pod, so the canary gets the count whose share of all pods is
 * nearest `canary.weight`: at least 1, at most max(canary.replicas, stable replicas).
 */
export function canaryReplicas(settings: TrafficSplitSettings, stableReplicas: number): number {
  const { weight, replicas } = settings.canary;
  if (splitsByWeight(settings)) return replicas;
  const nearest = weight >= 100 ? Infinity : Math.round((stableReplicas * weight) / (100 - weight));
  return Math.min(Math.max(nearest, 1), Math.max(replicas, stableReplicas));
}

/** Percent of requests the canary gets: the weight, or its share of the pods (approximate: requests go per connection). */
export function canaryTrafficShare(settings: TrafficSplitSettings, stableReplicas: number): number {
  if (splitsByWeight(settings)) return settings.canary.weight;
  const canary = canaryReplicas(settings, stableReplicas);
  return Math.round((100 * canary) / (canary + stableReplicas));
}

/** Adds the canary Deployment, made from the stable one, and the two per-track Services. */
/** `port`: the Service port of the stable API, which the per-track Services share. */
export function addCanary(chart: Construct, stable: IDeployment, props: StackProps, canary: CanaryProps, port: number): void {
  const stableName = stable.metadata!.name!;
  const selector = stable.spec!.selector.matchLabels!;
  const labels = stable.metadata!.labels!;
  const deployment = structuredClone(stable);
  deployment.metadata = { ...deployment.metadata, name: CANARY_NAME, labels: { ...labels, [TRACK_LABEL]: 'canary' } };
  const spec = deployment.spec!;
  spec.replicas = canary.replicas;
  spec.selector = { matchLabels: { ...selector, [TRACK_LABEL]: 'canary' } };
  spec.template.metadata!.labels![TRACK_LABEL] = 'canary';
  const container = spec.template.spec!.containers.find((c) => c.name === stableName)!;
  container.image = canary.image.ref;
  container.env = container.env?.map((v) => (v.name === 'APP_VERSION' ? { name: v.name, value: imageVersion(canary.image) } : v));
  new ApiObject(chart, 'canary-deployment', deployment);

  for (const [name, track] of [
    [CANARY_NAME, 'canary'],
    [STABLE_SERVICE_NAME, 'stable'],
  ] as const) {
    const metadata = { name, namespace: props.namespace, labels: { ...labels, [TRACK_LABEL]: track } };
    new ApiObject(
      chart,
      `${track}-service`,
      clusterIpService(metadata, { ...selector, [TRACK_LABEL]: track }, [servicePort('http', port)]),
    );
  }
}
