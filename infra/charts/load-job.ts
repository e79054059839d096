import { ApiObject } from 'cdk8s';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';
import type { ImagePullPolicy } from '../clusters.js';
import type { SynthContext } from '../context.js';
import { imageFromSettings, parseImageRef, type ImageRef } from '../image.js';
import { LOAD_SOURCE_ENV, LOAD_SOURCE_KEY, LOAD_SPEC_ENV, LOAD_WORKER_COMMAND } from '../load-worker.js';
import { networkPolicy } from '../objects.js';
import { ManifestScope, type KubeObject } from '../scope.js';
import { API_PORT } from './app-config.js';
import { jobPodBasics } from './jobs.js';
import { APP_UID, containerSecurityContext, resourceRequirements } from './pod.js';
import { labelsFor, selectorFor, stackPropsFrom, type ResourceSettings, type StackProps } from './props.js';
import { API_NAME } from './quote-api.js';

/**
 * The in-cluster load generator of `qctl load --in-cluster --workers N`: an Indexed Job of N
 * worker pods, each sending 1/N of the schedule straight to the API Service, and the two
 * NetworkPolicies that let it (the namespace denies everything else by default). qctl creates
 * these per run and deletes them when the run ends; they are not part of `qctl up`.
 */
export const LOAD_NAME = `${API_NAME}-load`;
export const LOAD_COMPONENT = 'load-generator';
/** The label that ties a run's pods to its NetworkPolicies (and lets qctl list them). */
export const LOAD_RUN_LABEL = 'qctl.dev/load-run';

/** One worker: a generator thread needs about a core at a few thousand requests per second. */
export const LOAD_WORKER_RESOURCES: ResourceSettings = {
  requests: { cpu: '500m', memory: '128Mi' },
  limits: { cpu: '1', memory: '256Mi' },
};

export interface LoadJobProps extends StackProps {
  /** The Job's name, unique per run, e.g. `quote-api-load-m3k9x2`. */
  name: string;
  /** The worker image (the Dockerfile's `load` target). */
  image: ImageRef;
  /** @default 'IfNotPresent' */
  imagePullPolicy?: ImagePullPolicy;
  /** Pods, all running at once: parallelism = completions = workers. */
  workers: number;
  /** The workers' spec as JSON (bin/load/worker.ts WorkerSpec without its index and source; the source is in the Secret). */
  workerSpec: string;
  /** Kills the Job if qctl is gone: the planned run plus start delay and slack. */
  activeDeadlineSeconds: number;
  /** @default LOAD_WORKER_RESOURCES */
  resources?: ResourceSettings;
}

/**
 * The Secret that holds a run's scenario source: its headers (Authorization, cookies) and URLs
 * may carry credentials, and a Pod's env is readable by anyone who can read Pods.
 */
export function loadSourceSecretName(jobName: string): string {
  return `${jobName}-source`;
}

/** The default worker image: the API image's repository with `-load`, same tag or digest. */
export function loadImageFor(apiImage: ImageRef): ImageRef {
  const suffix = apiImage.tag ? `:${apiImage.tag}` : `@${apiImage.digest}`;
  return parseImageRef(`${apiImage.repository}-load${suffix}`, 'load image');
}

export function loadJobPropsFrom(
  ctx: SynthContext,
  run: Pick<LoadJobProps, 'name' | 'workers' | 'workerSpec' | 'activeDeadlineSeconds'> & { image?: ImageRef },
): LoadJobProps {
  return {
    ...stackPropsFrom(ctx),
    ...run,
    image: run.image ?? loadImageFor(imageFromSettings(ctx.env.image)),
    imagePullPolicy: ctx.imagePullPolicy,
  };
}

/**
 * The Job, the Secret its pods read the scenario source from, and its NetworkPolicies: workers ->
 * API http, and the API accepting them. qctl makes the Job the Secret's owner once it exists, so
 * the Secret goes with it.
 */
export function buildLoadJob(scope: ManifestScope, props: LoadJobProps): void {
  const chart = scope.file('95-load-job.yaml');
  const runSelector = { ...selectorFor(props, LOAD_NAME), [LOAD_RUN_LABEL]: props.name };
  const labels = { ...labelsFor(props, LOAD_NAME, LOAD_COMPONENT), [LOAD_RUN_LABEL]: props.name };
  const apiPods = { podSelector: { matchLabels: selectorFor(props, API_NAME) } };
  const workerPods = { podSelector: { matchLabels: runSelector } };
  const http: INetworkPolicyPort = { protocol: 'TCP', port: API_PORT };
  const policy = (suffix: string) => ({ name: `${props.name}-${suffix}`, namespace: props.namespace, labels });
  // Egress is checked after the Service's address translation: the workers reach the API pods' port.
  new ApiObject(chart, 'egress', networkPolicy(policy('egress'), workerPods.podSelector, { egress: [{ to: [apiPods], ports: [http] }] }));
  new ApiObject(
    chart,
    'to-api',
    networkPolicy(policy('to-api'), apiPods.podSelector, { ingress: [{ from: [workerPods], ports: [http] }] }),
  );
  // Its data (the scenario source) is written by qctl when it applies the run, never into a manifest.
  new ApiObject(chart, 'source', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: loadSourceSecretName(props.name), namespace: props.namespace, labels },
    type: 'Opaque',
  });
  new ApiObject(chart, 'job', loadJob(props, labels));
}

function loadJob(props: LoadJobProps, labels: Record<string, string>): IJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: props.name, namespace: props.namespace, labels },
    spec: {
      completionMode: 'Indexed',
      completions: props.workers,
      parallelism: props.workers,
      // A retried worker would send its share twice; a failed one is reported instead.
      backoffLimit: 0,
      activeDeadlineSeconds: props.activeDeadlineSeconds,
      // qctl deletes the Job when the run ends; this cleans up after a qctl that could not.
      ttlSecondsAfterFinished: 600,
      template: {
        metadata: { labels },
        spec: {
          ...jobPodBasics(),
          containers: [
            {
              name: 'worker',
              image: props.image.ref,
              imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
              command: LOAD_WORKER_COMMAND,
              env: [
                { name: LOAD_SPEC_ENV, value: props.workerSpec },
                { name: LOAD_SOURCE_ENV, valueFrom: { secretKeyRef: { name: loadSourceSecretName(props.name), key: LOAD_SOURCE_KEY } } },
                { name: 'NODE_ENV', value: 'production' },
              ],
              resources: resourceRequirements(props.resources ?? LOAD_WORKER_RESOURCES),
              securityContext: containerSecurityContext(APP_UID),
            },
          ],
        },
      },
    },
  };
}

/** The run's objects for the environment `ctx` was synthesized for, in apply order (policies, Secret, Job). */
export function loadJobObjects(ctx: SynthContext, run: Parameters<typeof loadJobPropsFrom>[1]): KubeObject[] {
  const scope = new ManifestScope();
  buildLoadJob(scope, loadJobPropsFrom(ctx, run));
  return scope.toFiles().flatMap((file) => file.objects);
}
