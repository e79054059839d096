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
    enabled: z.boolean(),
    host: hostname,
    /** null: the cluster flavour's class (microk8s `public`, k3d `traefik`, kind/minikube `nginx`). */
    className: dnsName.nullable(),
    /** Name of an existing kubernetes.io/tls Secret; null serves plain HTTP. */
    tlsSecretName: dnsName.nullable(),
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
    openaiBaseUrl: z.url().nullable(),
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
  if (settings.postgres.mode === 'external' && !settings.postgres.externalHost) {
    problems.push(['postgres.externalHost', 'is required when postgres.mode is "external": set it to the database host']);
  }
  const budget = connectionBudgetProblem(settings);
  if (budget) problems.push(budget);
  return problems;
}
