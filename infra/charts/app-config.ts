import { ApiObject } from 'cdk8s';
import type { SynthContext } from '../context.js';
import type { ManifestScope } from '../scope.js';

export const API_CONFIG_MAP = 'quote-api-config';
export const API_PORT = 8080;

export function postgresHost(ctx: SynthContext): string {
  return ctx.env.postgres.mode === 'external'
    ? ctx.env.postgres.externalHost!
    : `postgres.${ctx.namespace}.svc.cluster.local`;
}

export function redisHost(ctx: SynthContext): string {
  return `redis.${ctx.namespace}.svc.cluster.local`;
}

/**
 * Non-secret app configuration (the variable names app/config.ts reads). Credentials come
 * from Secret references on the containers, never from here.
 */
export function apiConfigData(ctx: SynthContext): Record<string, string> {
  const { app, api, postgres } = ctx.env;
  const data: Record<string, string> = {
    PORT: String(API_PORT),
    PGHOST: postgresHost(ctx),
    PGPORT: String(postgres.port),
    PGDATABASE: postgres.database,
    EMBEDDING_MODEL: app.embeddingModel,
    VECTOR_INDEX: app.vectorIndex,
    IVFFLAT_LISTS: String(app.ivfflatLists),
    CACHE_TTL_SECONDS: String(app.cacheTtlSeconds),
    LOG_LEVEL: api.logLevel,
    NODE_ENV: 'production',
  };
  if (app.corsOrigins.length > 0) data.CORS_ORIGINS = app.corsOrigins.join(',');
  if (app.openaiBaseUrl) data.OPENAI_BASE_URL = app.openaiBaseUrl;
  return data;
}

export function buildAppConfig(scope: ManifestScope, ctx: SynthContext): void {
  const chart = scope.file('10-config.yaml');
  new ApiObject(chart, 'api-config', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: API_CONFIG_MAP, namespace: ctx.namespace, labels: ctx.labels('quote-api', 'api') },
    immutable: false,
    data: apiConfigData(ctx),
  });
}
