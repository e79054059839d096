import { ApiObject } from 'cdk8s';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IAffinity, ITopologySpreadConstraint } from 'kubernetes-models/v1';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { SynthContext } from '../context.js';
import { clusterIpService, servicePort } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { apiEnvFrom, apiSecretEnv } from './api-env.js';
import { API_PORT, apiConfigData, appConfigPropsFrom } from './app-config.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import {
  APP_UID,
  CONFIG_HASH_ANNOTATION,
  containerSecurityContext,
  contentHash,
  podSecurityContext,
  resourceRequirements,
} from './pod.js';

export const API_NAME = 'quote-api';
export const API_COMPONENT = 'api';
/** The image's entry point; the Dockerfile puts the compiled app at /app/build. */
export const APP_COMMAND = ['node', 'build/app/main.js'];

/** Replicas that are guaranteed to exist: the HPA floor when it runs, else the fixed count. */
export function guaranteedReplicas(ctx: SynthContext): number {
  const { api } = ctx.env;
  return api.hpa.enabled ? api.hpa.minReplicas : api.replicas;
}

/**
 * Workload objects are plain ApiObjects typed by kubernetes-models (the same schemas
 * validate.ts checks against): cdk8s-plus' Deployment/Service would add defaults (security
 * context, pull policy Always, generated port names) that we would only have to undo.
 */
export function buildQuoteApi(scope: ManifestScope, ctx: SynthContext): void {
  const chart = scope.file('40-quote-api.yaml');
  const { api, ingress } = ctx.env;
  const labels = ctx.labels(API_NAME, API_COMPONENT);
  const selector = ctx.selector(API_NAME);
  const metadata = { name: API_NAME, namespace: ctx.namespace, labels };

  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      // With an HPA the Deployment must not pin replicas, or every apply fights the autoscaler.
      ...(api.hpa.enabled ? {} : { replicas: api.replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels,
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(API_PORT),
            'prometheus.io/path': '/metrics',
            [CONFIG_HASH_ANNOTATION]: contentHash(apiConfigData(appConfigPropsFrom(ctx))),
          },
        },
        spec: {
          serviceAccountName: SERVICE_ACCOUNTS.api,
          automountServiceAccountToken: false,
          // Service links would inject REDIS_PORT=tcp://... style variables the app does not expect.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: api.terminationGracePeriodSeconds,
          securityContext: podSecurityContext(APP_UID),
          ...placement(ctx),
          containers: [
            {
              name: API_NAME,
              image: ctx.image.ref,
              imagePullPolicy: ctx.imagePullPolicy,
              command: APP_COMMAND,
              args: ['serve'],
              ports: [{ name: 'http', containerPort: API_PORT, protocol: 'TCP' }],
              envFrom: apiEnvFrom(),
              env: apiSecretEnv(ctx.namespace, { redis: ctx.env.redis.enabled }),
              resources: resourceRequirements(api.resources),
              startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
              // Keep serving while endpoints and ingress controllers drop this pod, then SIGTERM drains.
              ...(api.preStopSleepSeconds > 0
                ? { lifecycle: { preStop: { exec: { command: ['sleep', String(api.preStopSleepSeconds)] } } } }
                : {}),
              securityContext: containerSecurityContext(APP_UID),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
  new ApiObject(chart, 'deployment', deployment);

  new ApiObject(chart, 'service', clusterIpService(metadata, selector, [servicePort('http', 80)]));

  if (ingress.enabled) {
    const resource: IIngress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      // No controller-specific annotations: plain routing works on ingress-nginx, Traefik and microk8s alike.
      metadata,
      spec: {
        ingressClassName: ctx.ingressClassName,
        ...(ingress.tlsSecretName ? { tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] } : {}),
        rules: [
          {
            host: ingress.host,
            http: {
              paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: API_NAME, port: { name: 'http' } } } }],
            },
          },
        ],
      },
    };
    new ApiObject(chart, 'ingress', resource);
  }

  if (api.hpa.enabled) {
    const { hpa } = api;
    const metrics: NonNullable<IHorizontalPodAutoscaler['spec']>['metrics'] = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa.cpuUtilization } } },
    ];
    if (hpa.memoryUtilization !== null) {
      metrics.push({ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: hpa.memoryUtilization } } });
    }
    const autoscaler: IHorizontalPodAutoscaler = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: API_NAME },
        minReplicas: hpa.minReplicas,
        maxReplicas: hpa.maxReplicas,
        metrics,
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
          scaleDown: {
            stabilizationWindowSeconds: hpa.scaleDownStabilizationSeconds,
            policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }],
          },
        },
      },
    };
    new ApiObject(chart, 'hpa', autoscaler);
  }

  if (guaranteedReplicas(ctx) > 1) {
    const pdb: IPodDisruptionBudget = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata,
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    };
    new ApiObject(chart, 'pdb', pdb);
  }
}

/** Spread replicas over nodes, and optionally prefer nodes that run Postgres. */
function placement(ctx: SynthContext): { topologySpreadConstraints?: ITopologySpreadConstraint[]; affinity?: IAffinity } {
  const { spread, postgresAffinity } = ctx.env.api;
  const selector = { matchLabels: ctx.selector(API_NAME) };
  const result: { topologySpreadConstraints?: ITopologySpreadConstraint[]; affinity?: IAffinity } = {};
  const affinity: IAffinity = {};
  if (spread !== 'none') {
    result.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        // `required` refuses to stack replicas; `preferred` still schedules on a one-node laptop cluster.
        whenUnsatisfiable: spread === 'required' ? 'DoNotSchedule' : 'ScheduleAnyway',
        labelSelector: selector,
      },
    ];
    affinity.podAntiAffinity = {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: selector } },
      ],
    };
  }
  if (postgresAffinity && ctx.env.postgres.mode === 'internal') {
    affinity.podAffinity = {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: ctx.selector('postgres') } } },
      ],
    };
  }
  if (Object.keys(affinity).length > 0) result.affinity = affinity;
  return result;
}
