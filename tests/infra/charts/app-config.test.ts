import { describe, expect, it } from 'vitest';
import { buildAppConfig } from '../../../infra/charts/app-config.js';
import { only, PROPS, synthChart } from './synth-chart.js';

describe('buildAppConfig', () => {
  it('with only env and namespace: the in-cluster database and the documented app defaults', () => {
    const [objects] = synthChart((scope) => buildAppConfig(scope, PROPS), '10-config.yaml');
    expect(only(objects!, 'ConfigMap', 'quote-api-config').data).toEqual({
      PORT: '8080',
      PGHOST: 'postgres.quotes-test.svc.cluster.local',
      PGPORT: '5432',
      PGDATABASE: 'quotes',
      EMBEDDING_MODEL: 'text-embedding-3-small',
      VECTOR_INDEX: 'hnsw',
      IVFFLAT_LISTS: '100',
      CACHE_TTL_SECONDS: '300',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    });
  });

  it('takes the database address, log level and app settings; optional keys only when set', () => {
    const [objects] = synthChart(
      (scope) =>
        buildAppConfig(scope, {
          ...PROPS,
          postgresHost: 'db.example.com',
          postgresPort: 6432,
          database: 'q',
          logLevel: 'debug',
          app: { vectorIndex: 'ivfflat', corsOrigins: ['https://a', 'https://b'], openaiBaseUrl: 'http://127.0.0.1:9/v1' },
        }),
      '10-config.yaml',
    );
    expect(only(objects!, 'ConfigMap').data).toMatchObject({
      PGHOST: 'db.example.com',
      PGPORT: '6432',
      PGDATABASE: 'q',
      LOG_LEVEL: 'debug',
      VECTOR_INDEX: 'ivfflat',
      EMBEDDING_MODEL: 'text-embedding-3-small',
      CORS_ORIGINS: 'https://a,https://b',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
  });
});
