import { z } from 'zod';
import { connectionBudgetProblem } from './connection-budget.js';

/**
 * The typed shape of one environment's settings. Every key here can be overridden from
 * qctl.config.ts or `--set key=value`; strict objects make an unknown key an error instead
 * of a silently ignored typo.
 */
const quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, 'expected a Kubernetes quantity such as 250m, 512Mi or 1Gi');
const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a lowercase DNS label such as "nginx" or "my-class"');
const hostname = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'expected a lowercase host name such as quotes.example.com');
const imageName = z.string().regex(/^[a-z0-9]+([._\-/][a-z0-9]+)*$/, 'expected an image repository such as quote-api or team/quote-api');
const imageTag = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'expected an image tag such as 1.4.2 or git-3f2a1bc')
  .refine((tag) => tag !== 'latest', 'the tag "latest" is not allowed: use a content-addressed tag such as the git sha');
/** A full image reference pinned to a tag (or digest), for third-party images. */
const pinnedImage = z
  .string()
  .regex(/^[^\s:@]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@sha256:[a-f0-9]{64})?$/, 'expected an image reference such as redis:7.4-alpine')
  .refine(
    (ref) => /[:@]/.test(ref.split('/').pop() ?? '') && !/:latest(@|$)/.test(ref),
    'pin the image to a tag other than latest, e.g. redis:7.4-alpine',
  );

const int = (min: number, max: number) => z.int().min(min).max(max);
/** One number and unit, a form both Gateway API (GEP-2257) and Istio durations accept. */
const duration = z.string().regex(/^[1-9][0-9]{0,4}(ms|s|m|h)$/, 'expected a duration above zero such as 500ms, 10s or 1m');

/** A duration of at most `max` ms (`maxText` in the message). */
const boundedDuration = (max: number, maxText: string) => duration.refine((value) => durationMs(value) <= max, `at most ${maxText}`);

/** How the API is reached from outside the cluster (see docs/deploy.md, exposure modes). */
export const EXPOSURE_MODES = ['ingress', 'gateway', 'nodeport', 'none'] as const;
export type ExposureMode = (typeof EXPOSURE_MODES)[number];

const resources = z.strictObject({
  requests: z.strictObject({ cpu: quantity, memory: quantity }),
  limits: z.strictObject({ cpu: quantity, memory: quantity }),
});

export const environmentSettingsSchema = z.strictObject({
  api: z.strictObject({
    /** Fixed replicas when the HPA is off; the HPA's floor otherwise decides. */
    replicas: int(1, 100),
    resources,
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
    hpa: z.strictObject({
      enabled: z.boolean(),
      minReplicas: int(1, 100),
      maxReplicas: int(1, 100),
      cpuUtilization: int(1, 100),
      /** Optional memory target (percent of requests); null leaves memory out of the HPA. */
      memoryUtilization: int(1, 100).nullable(),
      scaleDownStabilizationSeconds: int(0, 3600),
    }),
    /** Spread replicas over nodes: `required` refuses to co-locate, `preferred` tries, `none` lets the scheduler pick. */
    spread: z.enum(['required', 'preferred', 'none']),
    /** Prefer nodes that run Postgres (latency) — off by default since it fights spreading. */
    postgresAffinity: z.boolean(),
    terminationGracePeriodSeconds: int(1, 600),
    /** Seconds the preStop hook waits so endpoints drop the pod before SIGTERM. */
    preStopSleepSeconds: int(0, 120),
    /** Postgres connections each pod's pool may open (DB_POOL_MAX); counted in the connection budget. */
    dbPoolMax: int(1, 200),
  }),
  ingress: z.strictObject({
    /**
     * `ingress`: an Ingress of `className`; `gateway`: a Gateway API HTTPRoute attached to
     * `gateway`; `nodeport`: the API Service as a NodePort on `nodePort`; `none`: port-forward only.
     */
    mode: z.enum(EXPOSURE_MODES),
    /** Host name routed to the API (ingress and gateway modes). */
    host: hostname,
    /** null: the cluster flavour's class (microk8s `public`, k3d `traefik`, kind/minikube `nginx`). */
    className: dnsName.nullable(),
    /** Name of an existing kubernetes.io/tls Secret; null serves plain HTTP. */
    tlsSecretName: dnsName.nullable(),
    /** The Gateway the HTTPRoute attaches to (gateway mode). */
    gateway: z.strictObject({
      name: dnsName,
      /** null: the environment's namespace. */
      namespace: dnsName.nullable(),
      /** Listener of the Gateway to attach to; null: every listener that admits the route. */
      sectionName: dnsName.nullable(),
      /** Write the Gateway object too (otherwise it must exist, e.g. a shared one). */
      create: z.boolean(),
      /** GatewayClass of a created Gateway, e.g. istio, eg (Envoy Gateway), nginx, traefik. */
      className: dnsName.nullable(),
    }),
    /** Fixed port on every node (nodeport mode), 30000-32767 (the default NodePort range). */
    nodePort: int(30000, 32767),
  }),
  /**
   * A canary release beside the stable API: `tag` null means none. `weight` is the percent of
   * requests it gets where a router splits by weight (gateway mode, traffic.mesh istio);
   * elsewhere the split follows the replica ratio (charts/canary.ts). `replicas`: the canary's pods
   * where weights split, the most it may run where the replica ratio does.
   */
  canary: z.strictObject({
    tag: imageTag.nullable(),
    weight: int(0, 100),
    replicas: int(1, 100),
    /**
     * How `qctl up --canary` judges the canary (each has a flag of the same name that wins,
     * e.g. --analysis-interval, --max-p99; docs/deploy.md): every `interval` a check of the user
     * requests since the previous check, `checks` passing checks per step, abort after `grace`
     * without enough data; `load` requests per second qctl sends to the canary itself during
     * the analysis (0: none, the users' traffic is judged).
     */
    analysis: z.strictObject({
      interval: boundedDuration(3_600_000, '1h'),
      grace: boundedDuration(24 * 3_600_000, '24h'),
      checks: int(1, 100),
      maxErrorRatio: z.number().min(0).max(1),
      /** At most 10s: the API's latency histogram ends there (app/observability/metrics.ts). */
      maxP99: boundedDuration(10_000, '10s'),
      /** null: the canary's p99 is not compared with the stable one's. */
      maxP99Ratio: z.number().positive().max(1000).nullable(),
      minRequests: int(1, 1_000_000),
      load: int(0, 10_000),
    }),
  }),
  /** Routing policy for the API: Istio retries/timeouts (mesh istio), HTTPRoute timeouts (gateway mode). */
  traffic: z.strictObject({
    mesh: z.enum(['none', 'istio']),
    retries: z.strictObject({ attempts: int(0, 10), perTryTimeout: duration }),
    /** Whole-request timeout. */
    timeout: duration,
  }),
  image: z.strictObject({
    /** null: no registry prefix (images loaded into the node) or the cluster's registry. */
    registry: z
      .string()
      .regex(/^[a-z0-9.-]+(:[0-9]+)?$/, 'expected a registry host such as 127.0.0.1:32000')
      .nullable(),
    repository: imageName,
    tag: imageTag,
    /** null: the cluster flavour's policy (IfNotPresent for local clusters). */
    pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).nullable(),
  }),
  postgres: z.strictObject({
    /**
     * `internal`: a StatefulSet; `external`: no database, the API points at `externalHost`;
     * `cnpg`: a CloudNativePG Cluster (the operator must be installed).
     */
    mode: z.enum(['internal', 'external', 'cnpg']),
    image: pinnedImage,
    externalHost: hostname.nullable(),
    port: int(1, 65535),
    database: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a database name such as quotes'),
    storageSize: quantity,
    /** null: the cluster flavour's storage class. */
    storageClassName: dnsName.nullable(),
    resources,
    /** max_connections of the server (internal, cnpg) or of the managed database (external): the connection budget's ceiling. */
    maxConnections: int(10, 10000),
    /** `pgbouncer` puts a transaction-mode pooler between the API and Postgres; the Jobs still connect directly. */
    pooler: z.enum(['none', 'pgbouncer']),
    pgbouncer: z.strictObject({
      image: pinnedImage,
      replicas: int(1, 20),
      /** Server connections per pooler replica (default_pool_size): what the connection budget counts. */
      poolSize: int(1, 1000),
      /** Client connections each pooler replica admits (max_client_conn). */
      maxClientConnections: int(10, 100000),
      resources,
    }),
    /** Settings of `mode: cnpg` (a postgresql.cnpg.io/v1 Cluster). */
    cnpg: z.strictObject({
      /** Postgres pods: one primary, the rest streaming replicas. */
      instances: int(1, 10),
      /** Operand image with pgvector (the operator's `standard` images ship it). */
      imageName: pinnedImage,
      /** Namespace of the CloudNativePG operator, which polls the instances' status port. */
      operatorNamespace: dnsName,
    }),
  }),
  redis: z.strictObject({
    enabled: z.boolean(),
    image: pinnedImage,
    storageSize: quantity,
    storageClassName: dnsName.nullable(),
    resources,
    /**
     * A read-only Redis replica in every API pod (same image and resources as the primary):
     * the API reads its cache from 127.0.0.1 and writes to the primary, and reads from the
     * primary while the replica is down or syncing.
     */
    readReplicaSidecar: z.boolean(),
  }),
  jobs: z.strictObject({
    ttlSecondsAfterFinished: int(0, 604800),
    backoffLimit: int(0, 20),
    activeDeadlineSeconds: int(30, 86400),
    resources,
    /** SEED_SOURCE of the seed Job: dummyjson (HTTPS egress) or sample (bundled, offline). */
    seedSource: z.enum(['dummyjson', 'sample']),
  }),
  app: z.strictObject({
    embeddingModel: z.string().min(1),
    vectorIndex: z.enum(['hnsw', 'ivfflat']),
    ivfflatLists: int(1, 100000),
    cacheTtlSeconds: int(0, 604800),
    corsOrigins: z.array(z.string().min(1)),
    /**
     * OPENAI_BASE_URL. Judged by the app's own rule at synth (app-environment.ts), as typed: a
     * URL parser here would silently drop a newline inside it and write another URL.
     */
    openaiBaseUrl: z.string().min(1).nullable(),
  }),
  networkPolicy: z.strictObject({
    /** null: the cluster flavour's ingress controller namespaces. */
    ingressControllerNamespaces: z.array(dnsName).nullable(),
    /** Namespaces whose Prometheus may scrape our metrics ports (`observability` for microk8s' addon). */
    monitoringNamespaces: z.array(dnsName),
    /** TCP ports the API and seed Job may reach outside the cluster (the embeddings API). */
    egressPorts: z.array(int(1, 65535)),
  }),
  /**
   * Settings of the monitoring stack (infra/monitoring), validated by that stack: retention,
   * storage, alert thresholds, operator release label, ...
   */
  monitoring: z.record(z.string(), z.unknown()),
});

export type EnvironmentSettings = z.infer<typeof environmentSettingsSchema>;

/** Cross-field rules the per-field schema cannot say. Returns [path, message] pairs. */
export function crossFieldProblems(settings: EnvironmentSettings): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const { hpa } = settings.api;
  if (hpa.minReplicas > hpa.maxReplicas) {
    problems.push([
      'api.hpa.minReplicas',
      `is ${hpa.minReplicas} but api.hpa.maxReplicas is ${hpa.maxReplicas}: make minReplicas <= maxReplicas`,
    ]);
  }
  const { traffic, ingress } = settings;
  // Only Istio retries: elsewhere perTryTimeout does nothing (ignored-settings.ts says so).
  if (traffic.mesh === 'istio' && traffic.retries.attempts > 0 && durationMs(traffic.retries.perTryTimeout) > durationMs(traffic.timeout)) {
    problems.push([
      'traffic.retries.perTryTimeout',
      `is ${traffic.retries.perTryTimeout} but traffic.timeout is ${traffic.timeout}: make perTryTimeout <= timeout`,
    ]);
  }
  if (ingress.mode === 'gateway' && ingress.gateway.create && !ingress.gateway.className) {
    problems.push([
      'ingress.gateway.className',
      'is required when ingress.gateway.create is true: set it to a GatewayClass of the cluster (e.g. istio, eg, nginx, traefik)',
    ]);
  }
  if (settings.postgres.mode === 'external' && !settings.postgres.externalHost) {
    problems.push(['postgres.externalHost', 'is required when postgres.mode is "external": set it to the database host']);
  }
  const budget = connectionBudgetProblem(settings);
  if (budget) problems.push(budget);
  return problems;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration setting (already validated) in milliseconds. */
export function durationMs(value: string): number {
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a duration`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Settings that were renamed: the key, and what to write instead. */
export const RENAMED_SETTINGS: Record<string, string> = {
  'ingress.enabled': 'it was replaced by ingress.mode: write ingress.mode=none for false, ingress.mode=ingress for true',
};

/**
 * Whether a router splits the API's traffic by weight (an HTTPRoute in gateway mode, an Istio
 * VirtualService with traffic.mesh istio). Otherwise the Service spreads requests over all
 * pods, so a canary's share is its share of the replicas.
 */
export function splitsByWeight(settings: Pick<EnvironmentSettings, 'ingress' | 'traffic'>): boolean {
  return settings.ingress.mode === 'gateway' || settings.traffic.mesh === 'istio';
}
