/**
 * Secrets are referenced, never synthesized: the deploy engine (`qctl up`) creates them in
 * the cluster (user secrets from the age file, generated passwords once) and reuses them.
 * These names and keys are the contract between the manifests and the deploy engine.
 */
export const SECRETS = {
  /** User secrets from secrets/<env>.env.age, loaded whole into the API's environment (OPENAI_API_KEY, API_TOKEN, ...). Optional. */
  api: { name: 'quote-api-secrets' },
  /** Generated once; also what the Postgres container initialises with. URL-safe characters. */
  postgres: { name: 'postgres-credentials', keys: { username: 'username', password: 'password' } },
  /** Generated once; URL-safe characters because it is embedded in REDIS_URL. */
  redis: { name: 'redis-credentials', keys: { password: 'password' } },
  /** Grafana admin (monitoring namespace). */
  grafana: { name: 'grafana-admin' },
} as const;

export const REFERENCED_SECRET_NAMES: string[] = [SECRETS.api.name, SECRETS.postgres.name, SECRETS.redis.name, SECRETS.grafana.name];
