import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig, vectorIndexSettings } from '../../app/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.host).toBe('::');
    expect(config.embeddingModel).toBe('text-embedding-3-small');
    expect(config.vectorIndex).toBe('hnsw');
    expect(config.ivfflatLists).toBe(100);
    expect(config.corsOrigins).toEqual([]);
    expect(config.cacheTtlSeconds).toBe(300);
    expect(config.redisUrl).toBeUndefined();
    expect(config.openaiApiKey).toBeUndefined();
    expect(config.database).toEqual({ host: 'localhost', port: 5432, user: undefined, password: undefined, database: undefined });
  });

  it('reads every contract variable', () => {
    const config = loadConfig({
      PORT: '9090',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgres://u:p@db:5432/quotes',
      REDIS_URL: 'redis://:pw@redis:6379',
      REDIS_READ_URL: 'redis://:pw@127.0.0.1:6379/0',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1',
      EMBEDDING_MODEL: 'text-embedding-3-large',
      VECTOR_INDEX: 'ivfflat',
      IVFFLAT_LISTS: '40',
      API_TOKEN: 'a-long-enough-token-123',
      CORS_ORIGINS: 'https://quotes.example.com, http://localhost:5173',
      LOG_LEVEL: 'debug',
      CACHE_TTL_SECONDS: '60',
    });
    expect(config).toMatchObject({
      port: 9090,
      host: '127.0.0.1',
      database: { connectionString: 'postgres://u:p@db:5432/quotes' },
      redisUrl: 'redis://:pw@redis:6379',
      redisReadUrl: 'redis://:pw@127.0.0.1:6379/0',
      openaiApiKey: 'sk-test',
      openaiBaseUrl: 'http://127.0.0.1:9999/v1',
      embeddingModel: 'text-embedding-3-large',
      vectorIndex: 'ivfflat',
      ivfflatLists: 40,
      apiToken: 'a-long-enough-token-123',
      corsOrigins: ['https://quotes.example.com', 'http://localhost:5173'],
      logLevel: 'debug',
      cacheTtlSeconds: 60,
    });
  });

  it('builds the database settings from PG* variables when DATABASE_URL is absent', () => {
    const config = loadConfig({ PGHOST: 'pg', PGPORT: '6543', PGUSER: 'app', PGPASSWORD: 'secret', PGDATABASE: 'quotes' });
    expect(config.database).toEqual({ host: 'pg', port: 6543, user: 'app', password: 'secret', database: 'quotes' });
  });

  it('refuses a read replica without its primary, naming the fix', () => {
    expect(() => loadConfig({ REDIS_READ_URL: 'redis://127.0.0.1:6379' })).toThrow(
      'REDIS_READ_URL: a read replica needs its primary: set REDIS_URL too (writes go there), or unset REDIS_READ_URL',
    );
  });

  it('lists every bad variable in one ConfigError', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://nope',
        REDIS_URL: 'not a url',
        VECTOR_INDEX: 'flat',
        IVFFLAT_LISTS: '0',
        LOG_LEVEL: 'loud',
        CACHE_TTL_SECONDS: '-5',
        API_TOKEN: 'short',
        CORS_ORIGINS: 'https://ok.example.com,https://bad.example.com/path',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'VECTOR_INDEX',
      'IVFFLAT_LISTS',
      'LOG_LEVEL',
      'CACHE_TTL_SECONDS',
      'API_TOKEN',
      'CORS_ORIGINS',
    ]) {
      expect(message).toContain(`${name}:`);
    }
    expect((error as ConfigError).issues).toHaveLength(9);
    expect(message).toContain('VECTOR_INDEX: must be "hnsw" or "ivfflat"');
    expect(message).not.toContain('https://ok.example.com"');
  });

  it('reads APP_VERSION (the image tag) for the version label and header: "local" when unset, an image tag otherwise', () => {
    expect(loadConfig({}).version).toBe('local');
    expect(loadConfig({ APP_VERSION: ' git-3f2a1bc ' }).version).toBe('git-3f2a1bc');
    // It becomes a label value and a raw header line: a space or newline must never get through.
    for (const bad of ['a b', 'x\r\nset-cookie: y', '-leading-dash', 'v'.repeat(129)]) {
      expect(() => loadConfig({ APP_VERSION: bad }), bad).toThrow(/APP_VERSION: must look like an image tag/);
    }
  });

  it('never shows secrets in the loggable copy', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:db-secret@db/quotes',
      REDIS_URL: 'redis://:redis-secret@redis:6379',
      REDIS_READ_URL: 'redis://:replica-secret@127.0.0.1:6379',
      OPENAI_API_KEY: 'sk-very-secret',
      API_TOKEN: 'token-secret-0123456789',
    });
    const text = JSON.stringify(redactedConfig(config));
    for (const secret of ['db-secret', 'redis-secret', 'replica-secret', 'sk-very-secret', 'token-secret-0123456789'])
      expect(text).not.toContain(secret);
    expect(text).toContain('db/quotes');
  });

  it('the start log says "unset" for a secret that was not given and "***" for one that was', async () => {
    const { createLogger } = await import('../../app/observability/logger.js');
    const { PassThrough } = await import('node:stream');
    const logLine = (env: NodeJS.ProcessEnv): Record<string, unknown> => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      createLogger('info', out).info({ config: redactedConfig(loadConfig(env)) }, 'quote API listening');
      return (JSON.parse(text) as { config: Record<string, unknown> }).config;
    };
    const bare = logLine({});
    expect(bare.openaiApiKey).toBe('unset');
    expect(bare.apiToken).toBe('unset');
    const given = logLine({ OPENAI_API_KEY: 'sk-very-secret', API_TOKEN: 'token-secret-0123456789' });
    expect(given.openaiApiKey).toBe('***');
    expect(given.apiToken).toBe('***');
    expect(JSON.stringify(given)).not.toContain('secret');
  });
});

describe('vector index and search effort settings', () => {
  it('defaults: 1 GB and 2 workers for the index build, the graph and ef_search by table size, probes 10', () => {
    const config = loadConfig({});
    expect(vectorIndexSettings(config)).toEqual({
      kind: 'hnsw',
      lists: 100,
      hnsw: 'auto',
      build: { memoryMb: 1024, parallelWorkers: 2 },
    });
    expect([config.searchEfSearch, config.searchProbes]).toEqual(['auto', 10]);
  });

  it('SEARCH_EF_SEARCH is "auto" (by table size) or a fixed number', () => {
    expect([loadConfig({ SEARCH_EF_SEARCH: 'auto' }).searchEfSearch, loadConfig({ SEARCH_EF_SEARCH: '64' }).searchEfSearch]).toEqual([
      'auto',
      64,
    ]);
    expect(() => loadConfig({ SEARCH_EF_SEARCH: 'fast' })).toThrow(
      /SEARCH_EF_SEARCH: must be "auto" or a whole number from 1 to 1000, got "fast"/,
    );
  });

  it('HNSW_M and HNSW_EF_CONSTRUCTION shape the graph the index is built with', () => {
    expect(vectorIndexSettings(loadConfig({ HNSW_M: '32', HNSW_EF_CONSTRUCTION: '128' })).hnsw).toEqual({ m: 32, efConstruction: 128 });
    expect(vectorIndexSettings(loadConfig({ HNSW_M: '24' })).hnsw).toEqual({ m: 24, efConstruction: 64 });
  });

  it('caps the build memory at a quarter of the Postgres pod memory limit', () => {
    expect(vectorIndexSettings(loadConfig({ POSTGRES_MEMORY_LIMIT_MB: '2048' })).build).toEqual({ memoryMb: 512, parallelWorkers: 2 });
    expect(
      vectorIndexSettings(loadConfig({ POSTGRES_MEMORY_LIMIT_MB: '8192', INDEX_BUILD_MEMORY_MB: '256', INDEX_BUILD_WORKERS: '0' })).build,
    ).toEqual({
      memoryMb: 256,
      parallelWorkers: 0,
    });
  });

  it('rejects out-of-range values, naming each variable', () => {
    const error = (() => {
      try {
        loadConfig({ INDEX_BUILD_MEMORY_MB: '4', SEARCH_EF_SEARCH: '0', SEARCH_PROBES: 'many' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.issues.map((i) => i.split(':')[0])).toEqual(['INDEX_BUILD_MEMORY_MB', 'SEARCH_EF_SEARCH', 'SEARCH_PROBES']);
  });
});
