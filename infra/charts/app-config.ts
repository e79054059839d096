import { ApiObject } from 'cdk8s';
import { appSettingVariables } from '../app-environment.js';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS, type EnvironmentSettings } from '../environments.js';
import type { ManifestScope } from '../scope.js';
import { databaseEndpoints } from './database.js';
import { inClusterHost, labelsFor, stackPropsFrom, type StackProps } from './props.js';

export const API_CONFIG_MAP = 'quote-api-config';
export const API_PORT = 8080;

type AppSettings = EnvironmentSettings['app'];

export interface AppConfigProps extends StackProps {
  /** Postgres host name. @default `postgres.<namespace>.svc.cluster.local` (the in-cluster database) */
  postgresHost?: string;
  /** @default 5432 */
  postgresPort?: number;
  /** @default 'quotes' */
  database?: string;
  /** @default 'info' */
  logLevel?: EnvironmentSettings['api']['logLevel'];
  /** Embeddings, vector index, cache and CORS settings. @default the `app` base settings of infra/environments.ts */
  app?: Partial<AppSettings>;
}

export function appConfigPropsFrom(ctx: SynthContext): AppConfigProps {
  const { postgres, api, app } = ctx.env;
  // The direct host: the Jobs read it from here; the API's pod overrides it when a pooler runs.
  const database = databaseEndpoints(postgres, ctx.namespace);
  return {
    ...stackPropsFrom(ctx),
    postgresHost: database.directHost,
    postgresPort: database.port,
    database: postgres.database,
    logLevel: api.logLevel,
    app,
  };
}

export { inClusterHost };

export function redisHost(namespace: string): string {
  return inClusterHost('redis', namespace);
}

/**
 * Non-secret app configuration (the variable names app/config.ts reads). Credentials come
 * from Secret references on the containers, never from here.
 */
export function apiConfigData(props: AppConfigProps): Record<string, string> {
  const app = { ...BASE_SETTINGS.app, ...props.app };
  const data: Record<string, string> = {
    PORT: String(API_PORT),
    PGHOST: props.postgresHost ?? inClusterHost('postgres', props.namespace),
    PGPORT: String(props.postgresPort ?? BASE_SETTINGS.postgres.port),
    PGDATABASE: props.database ?? BASE_SETTINGS.postgres.database,
  };
  for (const { variable, value } of appSettingVariables(app, props.logLevel ?? BASE_SETTINGS.api.logLevel)) {
    data[variable] = value;
    // NODE_ENV keeps its place after LOG_LEVEL (the optional CORS and base URL follow it).
    if (variable === 'LOG_LEVEL') data.NODE_ENV = 'production';
  }
  return data;
}

export function buildAppConfig(scope: ManifestScope, props: AppConfigProps): void {
  const chart = scope.file('10-config.yaml');
  new ApiObject(chart, 'api-config', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: API_CONFIG_MAP, namespace: props.namespace, labels: labelsFor(props, 'quote-api', 'api') },
    immutable: false,
    data: apiConfigData(props),
  });
}
