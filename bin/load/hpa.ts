import { namespaceFor, type EnvironmentName } from '../../infra/environment-names.js';
import { API_NAME } from '../../infra/monitoring/names.js';
import { usageError } from '../cli/errors.js';
import { openLoadClient } from '../deploy/session.js';
import { apiErrorMessage, type Kube } from '../kube/client.js';
import type { HpaReport, HpaSample } from './report-schema.js';

export interface HpaWatcher {
  start(startedAt: number): void;
  stop(): Promise<HpaReport>;
}

/** One reading: the HPA's view (current/desired/cpu) and the Deployment's ready replicas (both named API_NAME). */
export async function sampleHpa(kube: Kube, namespace: string): Promise<Omit<HpaSample, 't'>> {
  const { autoscaling, apps } = kube;
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
export async function createHpaWatcher(env: EnvironmentName, options: { context?: string; intervalMs?: number }): Promise<HpaWatcher> {
  const namespace = namespaceFor(env);
  // Made once: the watcher samples every few seconds for the whole run.
  const kube = await openLoadClient(process.cwd(), env, options.context);
  const intervalMs = options.intervalMs ?? 5000;
  try {
    await sampleHpa(kube, namespace);
  } catch (error) {
    throw usageError(
      `--watch-hpa: cannot read HorizontalPodAutoscaler ${namespace}/${API_NAME} or its Deployment (${apiErrorMessage(error)}); deploy with \`qctl up --env ${env}\` and enable the HPA, or drop --watch-hpa`,
    );
  }
  const samples: HpaSample[] = [];
  let lastError: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let startedAt = Date.now();
  let pending: Promise<void> = Promise.resolve();

  const take = (): Promise<void> => {
    const t = Date.now() - startedAt;
    pending = sampleHpa(kube, namespace).then(
      (sample) => {
        samples.push({ t, ...sample });
      },
      (error: unknown) => {
        lastError = apiErrorMessage(error);
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
