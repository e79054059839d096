import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IAffinity, ITopologySpreadConstraint } from 'kubernetes-models/v1';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { ImagePullPolicy } from '../clusters.js';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS, type EnvironmentSettings } from '../environments.js';
import { imageVersion, type ImageRef } from '../image.js';
import { clusterIpService, oneAtATimeDisruptionBudget, servicePort } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { API_MAX_SURGE } from '../connection-budget.js';
import { apiDatabaseEnv, apiEnvFrom, apiSecretEnv } from './api-env.js';
import type { DatabaseEndpoint } from './database.js';
import { addCanary, CANARY_NAME, canaryPropsFrom, STABLE_SERVICE_NAME, TRACK_LABEL, type CanaryProps } from './canary.js';
import { API_PORT } from './app-config.js';
import { POSTGRES_NAME } from './postgres.js';
import { redisReplicaSidecar, redisReplicaSidecarPropsFrom, type RedisReplicaSidecarProps } from './redis.js';
import { selectorFor, labelsFor, stackPropsFrom, type StackProps } from './props.js';
import type { Labels } from '../labels.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { APP_UID, CONFIG_HASH_ANNOTATION, containerSecurityContext, podSecurityContext, resourceRequirements } from './pod.js';

export const API_NAME = 'quote-api';
export const API_COMPONENT = 'api';
/** The port of the API's Services (named `http`, targeting the containers' `http`). */
export const API_SERVICE_PORT = 80;
/** The image's entry point; the Dockerfile puts the compiled app at /app/build. */
export const APP_COMMAND = ['node', 'build/app/main.js'];

type ApiSettings = Omit<EnvironmentSettings['api'], 'logLevel' | 'postgresAffinity'>;

export interface QuoteApiProps extends StackProps {
  /** The API image. */
  image: ImageRef;
  /** @default 'IfNotPresent' */
  imagePullPolicy?: ImagePullPolicy;
  /** Hash of the app ConfigMap's data, on the pod template so that a config change rolls the pods. */
  configHash: string;
  /** Redis runs: the API gets REDIS_URL. @default true */
  redis?: boolean;
  /** Secret with the database username and password. @default 'postgres-credentials' */
  postgresSecret?: string;
  /** The pooler's host, overriding the ConfigMap's direct PGHOST for the API only. @default unset (direct) */
  poolerHost?: string;
  /** A Redis read replica in each pod, read through REDIS_READ_URL (with `redis` only). @default undefined (none) */
  redisReadReplica?: RedisReplicaSidecarProps;
  /**
   * Prefer nodes that run the in-cluster Postgres: its pods' selector labels (the stack passes
   * `postgres.selector`), or true for the pods of the `postgres` StatefulSet. @default false
   */
  postgresAffinity?: boolean | Labels;
  /** Class of the Ingress. @default 'nginx' */
  ingressClassName?: string;
  /** Replicas, resources, HPA, spread, shutdown timing. @default the `api` base settings of infra/environments.ts (1 replica, no HPA, spread preferred) */
  api?: Partial<ApiSettings>;
  /**
   * Exposure (`mode` ingress writes an Ingress for `host`, nodeport makes the Service a NodePort
   * on `nodePort`; gateway mode's HTTPRoute is routing.ts'). @default mode ingress, host quotes.127.0.0.1.nip.io, no TLS
   */
  ingress?: Partial<Omit<EnvironmentSettings['ingress'], 'className'>>;
  /** A canary Deployment beside this one (see canary.ts). @default none */
  canary?: CanaryProps | null;
  /** Put the pods in the Istio mesh (sidecar injection). @default false */
  istio?: boolean;
  /** The pods' ServiceAccount (the stack passes `serviceAccounts.api.serviceAccountName`). @default 'quote-api' */
  serviceAccountName?: string;
}

/** What the API is wired to: the database server, the pooler in front of it (if any), its ConfigMap's hash and its ServiceAccount. */
export interface QuoteApiWiring {
  database: Pick<DatabaseEndpoint, 'credentials' | 'selector'>;
  pooler?: Pick<DatabaseEndpoint, 'host'>;
  configHash: string;
  serviceAccountName: string;
}

export function quoteApiPropsFrom(ctx: SynthContext, wiring: QuoteApiWiring): QuoteApiProps {
  const { logLevel: _logLevel, postgresAffinity, ...api } = ctx.env.api;
  const { className: _className, ...ingress } = ctx.env.ingress;
  return {
    ...stackPropsFrom(ctx),
    image: ctx.image,
    imagePullPolicy: ctx.imagePullPolicy,
    configHash: wiring.configHash,
    serviceAccountName: wiring.serviceAccountName,
    redis: ctx.env.redis.enabled,
    postgresSecret: wiring.database.credentials.secretName,
    ...(wiring.pooler ? { poolerHost: wiring.pooler.host } : {}),
    redisReadReplica: redisReplicaSidecarPropsFrom(ctx),
    // Only our own Postgres: CloudNativePG spreads its instances itself, an external one has no pods.
    postgresAffinity: postgresAffinity && ctx.env.postgres.mode === 'internal' && (wiring.database.selector ?? false),
    ingressClassName: ctx.ingressClassName,
    api,
    ingress,
    canary: canaryPropsFrom(ctx, guaranteedReplicas(api)),
    istio: ctx.env.traffic.mesh === 'istio',
  };
}

/** Replicas that are guaranteed to exist: the HPA floor when it runs, else the fixed count. */
export function guaranteedReplicas(api: Pick<ApiSettings, 'replicas' | 'hpa'>): number {
  return api.hpa.enabled ? api.hpa.minReplicas : api.replicas;
}

/** The API in its chart of its file (40-quote-api.yaml, phase api). Kept for callers that build one part alone. */
export function buildQuoteApi(scope: ManifestScope, props: QuoteApiProps): QuoteApi {
  return new QuoteApi(scope.file('40-quote-api.yaml'), API_NAME, props);
}

/**
 * The quote API: Deployment, Service, and by its settings an Ingress, HPA, PDB and canary.
 * What others wire to is exposed: `.deployment`, `.service`, `.selector` (the pods' immutable
 * selector labels), `.port` (the Service's port, named `http`).
 *
 * Workload objects are plain ApiObjects typed by kubernetes-models (the same schemas
 * validate.ts checks against): cdk8s-plus' Deployment/Service would add defaults (security
 * context, pull policy Always, generated port names) that we would only have to undo.
 */
export class QuoteApi extends Construct {
  readonly deployment: ApiObject;
  readonly service: ApiObject;
  readonly ingress?: ApiObject;
  readonly autoscaler?: ApiObject;
  /** Selector labels of the API pods (both tracks). */
  readonly selector: Labels;
  /** The Service's port (named `http`, targeting the container's `http`). */
  readonly port = API_SERVICE_PORT;
  /** The containers' port, which NetworkPolicies name. */
  readonly containerPort = API_PORT;
  readonly serviceName = API_NAME;
  /** The Services of each track alone (they exist while a canary runs), for weighted routes. */
  readonly stableServiceName = STABLE_SERVICE_NAME;
  readonly canaryServiceName = CANARY_NAME;
  /** The API image reference, which the Jobs (and a CronJob of yours running `seed`) share. */
  readonly image: string;

  constructor(scope: Construct, id: string, props: QuoteApiProps) {
    super(scope, id);
    const api = { ...BASE_SETTINGS.api, ...props.api };
    const ingress = { ...BASE_SETTINGS.ingress, ...props.ingress };
    const labels = labelsFor(props, API_NAME, API_COMPONENT);
    const selector = selectorFor(props, API_NAME);
    this.selector = selector;
    this.image = props.image.ref;
    const metadata = { name: API_NAME, namespace: props.namespace, labels };
    // The track is on the pods only: the Deployment's selector is immutable and stays as it was.
    const podLabels: Record<string, string> = { ...labels, [TRACK_LABEL]: 'stable' };
    // Only the API joins the mesh (not the Jobs, which a sidecar would keep from completing).
    if (props.istio) podLabels['sidecar.istio.io/inject'] = 'true';
    const redis = props.redis ?? true;
    const replica = redis && props.redisReadReplica ? redisReplicaSidecar(props.namespace, props.redisReadReplica) : undefined;

    const deployment: IDeployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        // With an HPA the Deployment must not pin replicas, or every apply fights the autoscaler.
        ...(api.hpa.enabled ? {} : { replicas: api.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: API_MAX_SURGE, maxUnavailable: 0 } },
        template: {
          metadata: {
            labels: podLabels,
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': String(API_PORT),
              'prometheus.io/path': '/metrics',
              [CONFIG_HASH_ANNOTATION]: props.configHash,
              // Istio would otherwise point these scrape annotations at its sidecar's merged metrics port.
              ...(props.istio ? { 'prometheus.istio.io/merge-metrics': 'false' } : {}),
            },
          },
          spec: {
            serviceAccountName: props.serviceAccountName ?? SERVICE_ACCOUNTS.api,
            automountServiceAccountToken: false,
            // Service links would inject REDIS_PORT=tcp://... style variables the app does not expect.
            enableServiceLinks: false,
            terminationGracePeriodSeconds: api.terminationGracePeriodSeconds,
            securityContext: podSecurityContext(APP_UID),
            ...placement(props, api.spread),
            containers: [
              {
                name: API_NAME,
                image: props.image.ref,
                imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
                command: APP_COMMAND,
                args: ['serve'],
                ports: [{ name: 'http', containerPort: API_PORT, protocol: 'TCP' }],
                envFrom: apiEnvFrom(),
                env: [
                  { name: 'APP_VERSION', value: imageVersion(props.image) },
                  ...apiSecretEnv(props.namespace, { redis, readReplica: replica !== undefined, postgresSecret: props.postgresSecret }),
                  ...apiDatabaseEnv({ poolMax: api.dbPoolMax, host: props.poolerHost }),
                ],
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
              ...(replica ? [replica.container] : []),
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, ...(replica ? [replica.volume] : [])],
          },
        },
      },
    };
    this.deployment = new ApiObject(this, 'deployment', deployment);

    // The Service selects both tracks: without a weighted router, a canary gets its share of the pods.
    const service = clusterIpService(metadata, selector, [servicePort('http', this.port)]);
    if (ingress.mode === 'nodeport') {
      service.spec = { ...service.spec, type: 'NodePort', ports: [{ ...servicePort('http', this.port), nodePort: ingress.nodePort }] };
    }
    this.service = new ApiObject(this, 'service', service);
    if (props.canary) addCanary(this, deployment, props, props.canary, this.port);

    if (ingress.mode === 'ingress') {
      const resource: IIngress = {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        // No controller-specific annotations: plain routing works on ingress-nginx, Traefik and microk8s alike.
        metadata,
        spec: {
          ingressClassName: props.ingressClassName ?? 'nginx',
          ...(ingress.tlsSecretName ? { tls: [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }] } : {}),
          rules: [
            {
              host: ingress.host,
              http: {
                paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: this.serviceName, port: { name: 'http' } } } }],
              },
            },
          ],
        },
      };
      this.ingress = new ApiObject(this, 'ingress', resource);
    }

    if (api.hpa.enabled) {
      const { hpa } = api;
      const metrics: NonNullable<IHorizontalPodAutoscaler['spec']>['metrics'] = [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa.cpuUtilization } } },
      ];
      if (hpa.memoryUtilization !== null) {
        metrics.push({
          type: 'Resource',
          resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: hpa.memoryUtilization } },
        });
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
      this.autoscaler = new ApiObject(this, 'hpa', autoscaler);
    }

    if (guaranteedReplicas(api) > 1) {
      new ApiObject(this, 'pdb', oneAtATimeDisruptionBudget(metadata, selector));
    }
  }
}

/** Spread replicas over nodes, and optionally prefer nodes that run Postgres. */
function placement(
  props: QuoteApiProps,
  spread: ApiSettings['spread'],
): { topologySpreadConstraints?: ITopologySpreadConstraint[]; affinity?: IAffinity } {
  const selector = { matchLabels: selectorFor(props, API_NAME) };
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
  if (props.postgresAffinity) {
    const postgresPods = props.postgresAffinity === true ? selectorFor(props, POSTGRES_NAME) : props.postgresAffinity;
    affinity.podAffinity = {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 50,
          podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: postgresPods } },
        },
      ],
    };
  }
  if (Object.keys(affinity).length > 0) result.affinity = affinity;
  return result;
}
