import { AppsV1Api, AutoscalingV2Api } from '@kubernetes/client-node';
import { usageError } from '../cli/errors.js';
import { loadKubeConfig, kubeErrorMessage } from './kube.js';
import type { HpaReport, HpaSample } from './report-schema.js';

/** The API's autoscaler and Deployment share one name in every environment (see DESIGN.md). */
export const API_NAME = 'quote-api';

export interface HpaWatcher {
  start(startedAt: number): void;
  stop(): Promise<HpaReport>;
}

export type HpaClients = { autoscaling: AutoscalingV2Api; apps: AppsV1Api };

/** One reading: the HPA's view (current/desired/cpu) and the Deployment's ready replicas. */
export async function sampleHpa(clients: HpaClients, namespace: string): Promise<Omit<HpaSample, 't'>> {
  const { autoscaling, apps } = clients;
  const [hpa, deployment] = await Promise.all([
    autoscaling.readNamespacedHorizontalPodAutoscaler({ name: API_NAME, namespace }),
    apps.readNamespacedDeployment({ name: API_NAME, namespace }),
  ]);
  const cpu = hpa.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  return {
    currentReplicas: hpa.status?.currentReplicas ?? null,
    desiredReplicas: hpa.status?.desiredReplicas ?? null,
    readyReplicas: deployment.status?.readyReplicas ?? 0,
    minReplicas: hpa.spec?.minReplicas ?? null,
    maxReplicas: hpa.spec?.maxReplicas ?? null,
    cpuUtilization: cpu?.resource?.current?.averageUtilization ?? null,
  };
}

/**
 * Samples the HPA every `intervalMs` while the load runs. The first reading happens before the
 * load starts, so a missing HPA or an unreachable cluster is a usage error up front, not a
 * surprise after a long run; later failures are kept in the report and sampling carries on.
 */
export async function createHpaWatcher(env: string, options: { context?: string; intervalMs?: number }): Promise<HpaWatcher> {
  const namespace = `quotes-${env}`;
  const kc = loadKubeConfig(options.context);
  // Made once: the watcher samples every few seconds for the whole run.
  const clients: HpaClients = { autoscaling: kc.makeApiClient(AutoscalingV2Api), apps: kc.makeApiClient(AppsV1Api) };
  const intervalMs = options.intervalMs ?? 5000;
  try {
    await sampleHpa(clients, namespace);
  } catch (error) {
    throw usageError(
      `--watch-hpa: cannot read HorizontalPodAutoscaler ${namespace}/${API_NAME} or its Deployment (${kubeErrorMessage(error)}); deploy with \`qctl up --env ${env}\` and enable the HPA, or drop --watch-hpa`,
    );
  }
  const samples: HpaSample[] = [];
  let lastError: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let startedAt = Date.now();
  let pending: Promise<void> = Promise.resolve();

  const take = (): Promise<void> => {
    const t = Date.now() - startedAt;
    pending = sampleHpa(clients, namespace).then(
      (sample) => {
        samples.push({ t, ...sample });
      },
      (error: unknown) => {
        lastError = kubeErrorMessage(error);
      },
    );
    return pending;
  };

  return {
    start(at: number): void {
      startedAt = at;
      void take();
      timer = setInterval(() => void take(), intervalMs);
    },
    async stop(): Promise<HpaReport> {
      if (timer) clearInterval(timer);
      await pending;
      await take();
      samples.sort((a, b) => a.t - b.t);
      return { namespace, name: API_NAME, samples, error: lastError };
    },
  };
}
