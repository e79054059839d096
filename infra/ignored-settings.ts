import type { EnvironmentSettings } from './settings-schema.js';

/**
 * Settings that are valid but have no effect given the others, e.g. `api.replicas` while the
 * HPA decides the replica count. Only keys a user set (qctl.config.ts or --set) are reported:
 * the built-in environments may carry such values on purpose (prod's replicas under its HPA).
 */
interface IgnoreRule {
  keys: readonly string[];
  ignoredWhen: (settings: EnvironmentSettings) => boolean;
  because: string;
}

const HPA_KEYS = ['minReplicas', 'maxReplicas', 'cpuUtilization', 'memoryUtilization', 'scaleDownStabilizationSeconds'].map(
  (k) => `api.hpa.${k}`,
);

const RULES: readonly IgnoreRule[] = [
  {
    keys: ['api.replicas'],
    ignoredWhen: (s) => s.api.hpa.enabled,
    because:
      'api.hpa.enabled is true, so the HPA sets the replica count: change api.hpa.minReplicas/maxReplicas, or set api.hpa.enabled=false',
  },
  { keys: HPA_KEYS, ignoredWhen: (s) => !s.api.hpa.enabled, because: 'api.hpa.enabled is false: set it to true, or use api.replicas' },
  {
    keys: ['postgres.image', 'postgres.storageSize', 'postgres.storageClassName', 'postgres.resources'],
    ignoredWhen: (s) => s.postgres.mode === 'external',
    because: 'postgres.mode is external, so no Postgres is deployed',
  },
  {
    keys: ['postgres.image', 'postgres.port'],
    ignoredWhen: (s) => s.postgres.mode === 'cnpg',
    because: 'postgres.mode is cnpg: the operator runs postgres.cnpg.imageName on port 5432',
  },
  {
    keys: ['postgres.externalHost'],
    ignoredWhen: (s) => s.postgres.mode !== 'external',
    because: `postgres.mode is not external: set postgres.mode=external to use it`,
  },
  {
    keys: ['postgres.cnpg'],
    ignoredWhen: (s) => s.postgres.mode !== 'cnpg',
    because: 'postgres.mode is not cnpg: set postgres.mode=cnpg to use it',
  },
  {
    keys: ['postgres.pgbouncer'],
    ignoredWhen: (s) => s.postgres.pooler !== 'pgbouncer',
    because: 'postgres.pooler is none: set postgres.pooler=pgbouncer to use it',
  },
  {
    keys: ['redis.image', 'redis.storageSize', 'redis.storageClassName', 'redis.resources', 'redis.readReplicaSidecar'],
    ignoredWhen: (s) => !s.redis.enabled,
    because: 'redis.enabled is false, so no Redis is deployed',
  },
  {
    keys: ['ingress.host', 'ingress.className', 'ingress.tlsSecretName'],
    ignoredWhen: (s) => !s.ingress.enabled,
    because: 'ingress.enabled is false, so no Ingress is written',
  },
];

function isSet(values: unknown, key: string): boolean {
  let node = values;
  for (const part of key.split('.')) {
    if (!node || typeof node !== 'object' || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return node !== undefined;
}

/** One line per ignored key, naming where it was set (the last layer that set it) and why it does nothing. */
export function ignoredSettings(
  envName: string,
  settings: EnvironmentSettings,
  layers: ReadonlyArray<{ source: string; values: unknown }>,
): string[] {
  const lines: string[] = [];
  for (const rule of RULES) {
    if (!rule.ignoredWhen(settings)) continue;
    for (const key of rule.keys) {
      const layer = [...layers].reverse().find((l) => isSet(l.values, key));
      if (layer) lines.push(`${key} (${layer.source}) is ignored for environment ${envName}: ${rule.because}`);
    }
  }
  return lines;
}
