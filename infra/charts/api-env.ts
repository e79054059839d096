import type { IEnvFromSource, IEnvVar } from 'kubernetes-models/v1';
import { SECRETS } from '../secrets.js';
import { API_CONFIG_MAP } from './app-config.js';
import { credentialsEnv, generatedCredentials } from './database.js';
import { REDIS_REPLICA_URL, redisConnectionEnv, redisHost } from './redis.js';

/** envFrom shared by the API and its Jobs: the ConfigMap plus the optional user secrets. */
export function apiEnvFrom(): IEnvFromSource[] {
  return [{ configMapRef: { name: API_CONFIG_MAP } }, { secretRef: { name: SECRETS.api.name, optional: true } }];
}

/**
 * Credentials as Secret references. REDIS_URL is composed by the kubelet through `$(VAR)`
 * expansion, so the password never passes through a ConfigMap. `redis`: the pod uses the
 * cache and Redis runs; `readReplica`: the pod also runs the read replica (REDIS_READ_URL).
 * `postgresSecret`: the Secret with the database's username and password (CloudNativePG's
 * `<cluster>-app` has the same keys as ours).
 */
export function apiSecretEnv(
  namespace: string,
  {
    redis,
    readReplica = false,
    postgresSecret = SECRETS.postgres.name,
  }: { redis: boolean; readReplica?: boolean; postgresSecret?: string },
): IEnvVar[] {
  const env: IEnvVar[] = credentialsEnv(generatedCredentials(postgresSecret));
  if (redis) {
    env.push(...redisConnectionEnv(redisHost(namespace)));
    if (readReplica) env.push({ name: 'REDIS_READ_URL', value: REDIS_REPLICA_URL });
  }
  return env;
}

/**
 * The API pod's own database settings: its pool size (counted in the connection budget) and,
 * when a pooler runs, the pooler's host in place of the ConfigMap's direct one (which the
 * Jobs keep).
 */
export function apiDatabaseEnv({ poolMax, host }: { poolMax: number; host?: string }): IEnvVar[] {
  return [{ name: 'DB_POOL_MAX', value: String(poolMax) }, ...(host ? [{ name: 'PGHOST', value: host }] : [])];
}
