import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { appSettingVariables } from '../app-environment.js';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS, type EnvironmentSettings } from '../environments.js';
import type { ManifestScope } from '../scope.js';
import type { DatabaseEndpoint } from './database.js';
import { contentHash } from './pod.js';
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

/** `database`: the server itself (Postgres, Cnpg or ExternalDatabase), never the pooler: the Jobs read it from here; the API's pod overrides PGHOST when a pooler runs. */
export function appConfigPropsFrom(ctx: SynthContext, database: Pick<DatabaseEndpoint, 'host' | 'port'>): AppConfigProps {
  const { postgres, api, app } = ctx.env;
  return {
    ...stackPropsFrom(ctx),
    postgresHost: database.host,
    postgresPort: database.port,
    database: postgres.database,
    logLevel: api.logLevel,
    app,
  };
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

export function buildAppConfig(scope: ManifestScope, props: AppConfigProps): AppConfig {
  return new AppConfig(scope.file('10-config.yaml'), 'app-config', props);
}

/**
 * The API's ConfigMap `quote-api-config` (10-config.yaml), read by the API and the Jobs through
 * envFrom. Exposes `.configMap`, `.configMapName`, `.data` and `.configHash` (the hash the API's
 * pod template carries, so that a config change rolls the pods).
 */
export class AppConfig extends Construct {
  readonly configMap: ApiObject;
  readonly configMapName = API_CONFIG_MAP;
  readonly data: Readonly<Record<string, string>>;
  readonly configHash: string;

  constructor(scope: Construct, id: string, props: AppConfigProps) {
    super(scope, id);
    this.data = apiConfigData(props);
    this.configHash = contentHash(this.data);
    this.configMap = new ApiObject(this, 'api-config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: API_CONFIG_MAP, namespace: props.namespace, labels: labelsFor(props, 'quote-api', 'api') },
      immutable: false,
      data: this.data,
    });
  }
}
