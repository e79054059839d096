import { InfraUsageError } from './errors.js';
import { appSettingProblems } from './app-environment.js';
import { crossFieldProblems, environmentSettingsSchema, RENAMED_SETTINGS, type EnvironmentSettings } from './settings-schema.js';
import { deepMerge, type DeepPartial } from './merge.js';
import { namespaceFor, type EnvironmentName } from './environment-names.js';

export type { EnvironmentSettings } from './settings-schema.js';

export { assertEnvironmentName, ENVIRONMENT_NAMES, isEnvironmentName, namespaceFor, type EnvironmentName } from './environment-names.js';

/** One environment after overrides: its settings plus the names derived from it. */
export interface Environment extends EnvironmentSettings {
  name: EnvironmentName;
  /** `quotes-<env>`: every namespaced object sets it explicitly, never from the kube context. */
  namespace: string;
}

export const DEFAULT_HOST = 'quotes.127.0.0.1.nip.io';

export const BASE_SETTINGS: EnvironmentSettings = {
  api: {
    replicas: 1,
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    logLevel: 'info',
    hpa: {
      enabled: false,
      minReplicas: 1,
      maxReplicas: 3,
      cpuUtilization: 70,
      memoryUtilization: null,
      scaleDownStabilizationSeconds: 300,
    },
    spread: 'preferred',
    postgresAffinity: false,
    terminationGracePeriodSeconds: 30,
    preStopSleepSeconds: 5,
    dbPoolMax: 10,
  },
  ingress: {
    mode: 'ingress',
    host: DEFAULT_HOST,
    className: null,
    tlsSecretName: null,
    gateway: { name: 'quotes', namespace: null, sectionName: null, create: false, className: null },
    nodePort: 30080,
  },
  canary: {
    tag: null,
    weight: 20,
    replicas: 1,
    analysis: {
      interval: '30s',
      grace: '2m',
      checks: 2,
      maxErrorRatio: 0.01,
      maxP99: '500ms',
      maxP99Ratio: 1.5,
      minRequests: 20,
      load: 0,
    },
  },
  traffic: { mesh: 'none', retries: { attempts: 2, perTryTimeout: '10s' }, timeout: '30s' },
  image: { registry: null, repository: 'quote-api', tag: '0.1.0', pullPolicy: null },
  postgres: {
    mode: 'internal',
    image: 'pgvector/pgvector:0.8.0-pg17',
    externalHost: null,
    port: 5432,
    database: 'quotes',
    storageSize: '1Gi',
    storageClassName: null,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    maxConnections: 100,
    pooler: 'none',
    pgbouncer: {
      image: 'docker.io/edoburu/pgbouncer:v1.24.1-p1',
      replicas: 1,
      poolSize: 20,
      maxClientConnections: 1000,
      resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
    },
    cnpg: { instances: 1, imageName: 'ghcr.io/cloudnative-pg/postgresql:17.5-standard-bookworm', operatorNamespace: 'cnpg-system' },
  },
  redis: {
    enabled: true,
    image: 'redis:7.4-alpine',
    storageSize: '512Mi',
    storageClassName: null,
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
    // Off for one pod on a laptop: a second copy of the cache would only cost memory.
    readReplicaSidecar: false,
  },
  jobs: {
    ttlSecondsAfterFinished: 86400,
    backoffLimit: 3,
    activeDeadlineSeconds: 900,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    seedSource: 'dummyjson',
  },
  app: {
    embeddingModel: 'text-embedding-3-small',
    vectorIndex: 'hnsw',
    ivfflatLists: 100,
    cacheTtlSeconds: 300,
    corsOrigins: [],
    openaiBaseUrl: null,
  },
  networkPolicy: { ingressControllerNamespaces: null, monitoringNamespaces: ['monitoring'], egressPorts: [443] },
  monitoring: {},
};

/** What each environment changes from BASE_SETTINGS. */
const ENVIRONMENT_DEFAULTS: Record<EnvironmentName, DeepPartial<EnvironmentSettings>> = {
  dev: {
    api: { replicas: 1, logLevel: 'debug' },
    ingress: { host: DEFAULT_HOST },
    jobs: { ttlSecondsAfterFinished: 3600 },
  },
  staging: {
    api: {
      replicas: 1,
      resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '384Mi' } },
      logLevel: 'info',
    },
    // Each environment its own node port, so that all three fit on one cluster.
    ingress: { host: `staging.${DEFAULT_HOST}`, nodePort: 30081 },
    postgres: { storageSize: '5Gi' },
    // As prod, so that the replica path is exercised before it reaches prod.
    redis: { storageSize: '1Gi', readReplicaSidecar: true },
  },
  prod: {
    api: {
      replicas: 3,
      resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      logLevel: 'info',
      hpa: { enabled: true, minReplicas: 3, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 },
      terminationGracePeriodSeconds: 45,
      preStopSleepSeconds: 10,
    },
    ingress: { host: `prod.${DEFAULT_HOST}`, nodePort: 30082 },
    postgres: {
      storageSize: '20Gi',
      // 11 API pods at the HPA ceiling plus a surge pod, × pool 10, the Jobs, the exporter and the reserve: 120.
      maxConnections: 150,
      pgbouncer: { replicas: 2 },
      cnpg: { instances: 3 },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
    },
    redis: {
      storageSize: '2Gi',
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
      // Up to 10 API pods: each reads from its own replica instead of all from one Redis.
      readReplicaSidecar: true,
    },
    jobs: { ttlSecondsAfterFinished: 604800 },
  },
};

/** The built-in settings of an environment, before any qctl.config.ts or --set override. */
export function defaultSettings(name: EnvironmentName): EnvironmentSettings {
  return deepMerge(structuredClone(BASE_SETTINGS), ENVIRONMENT_DEFAULTS[name]) as EnvironmentSettings;
}

/**
 * The settings of `name`, with optional overrides layered on top (in order). `source`
 * names where the overrides came from in error messages. Throws InfraUsageError for an
 * unknown environment, an unknown key or a value of the wrong type.
 */
export function getEnvironment(
  envName: EnvironmentName,
  overrides: Array<{ source: string; values: DeepPartial<EnvironmentSettings> }> = [],
): Environment {
  let merged: unknown = defaultSettings(envName);
  for (const layer of overrides) {
    merged = deepMerge(merged, layer.values);
    const parsed = environmentSettingsSchema.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.map(String).join('.');
      const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      if (unknownKeys.length > 0) {
        const key = [path, unknownKeys[0]].filter(Boolean).join('.');
        const renamed = Object.hasOwn(RENAMED_SETTINGS, key) ? RENAMED_SETTINGS[key] : undefined;
        if (renamed) throw new InfraUsageError(`${layer.source}: setting "${key}" for environment ${envName} is gone: ${renamed}`);
        throw new InfraUsageError(
          `${layer.source}: unknown setting "${key}" for environment ${envName}: valid keys here are ${validKeysAt(path).join(', ')}`,
        );
      }
      throw new InfraUsageError(`${layer.source}: ${path || 'settings'} for environment ${envName}: ${issue.message}`);
    }
  }
  const settings = environmentSettingsSchema.parse(merged);
  const problem = crossFieldProblems(settings)[0] ?? appSettingProblems(settings)[0];
  if (problem) {
    const source = overrides.length > 0 ? overrides.map((o) => o.source).join(' + ') : 'environment defaults';
    throw new InfraUsageError(`${source}: ${problem[0]} for environment ${envName} ${problem[1]}`);
  }
  return { ...settings, name: envName, namespace: namespaceFor(envName) };
}

function validKeysAt(path: string): string[] {
  let value: unknown = BASE_SETTINGS;
  for (const part of path ? path.split('.') : []) value = (value as Record<string, unknown>)[part];
  return value && typeof value === 'object' ? Object.keys(value) : [];
}
