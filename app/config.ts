import { z } from 'zod';
import type { VectorIndexKind, VectorIndexSettings } from './db/vector-index.js';

/** Everything the service reads from its environment, validated once at start-up. */
export interface AppConfig {
  port: number;
  /** Listen address; default `::`, dual-stack (IPv4 and IPv6), falling back to 0.0.0.0 where IPv6 is off. */
  host: string;
  database: DatabaseConfig;
  /** Unset: an in-process LRU cache serves instead of Redis. */
  redisUrl?: string;
  /** A read replica of redisUrl (the sidecar in the pod): cache reads go there, writes to redisUrl. */
  redisReadUrl?: string;
  /** Unset: the offline local embedder is used (and the log says so). */
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  embeddingModel: string;
  embeddingTimeoutMs: number;
  embeddingMaxRetries: number;
  vectorIndex: VectorIndexKind;
  ivfflatLists: number;
  /** maintenance_work_mem (MB) asked for the session that builds the vector index. */
  indexBuildMemoryMb: number;
  /** The Postgres pod's memory limit (MB) when known: the build memory is capped at a quarter of it. */
  postgresMemoryLimitMb?: number;
  /** max_parallel_maintenance_workers for the index build. */
  indexBuildWorkers: number;
  /** HNSW graph build parameters (pgvector's defaults 16 and 64): larger finds more at scale, builds slower. */
  hnswM: number;
  hnswEfConstruction: number;
  /** hnsw.ef_search per query: candidates the HNSW scan keeps (recall vs latency). */
  searchEfSearch: number;
  /** ivfflat.probes per query: lists an IVFFlat scan visits (recall vs latency). */
  searchProbes: number;
  /** Bearer token for POST /quotes; unset disables writes. */
  apiToken?: string;
  /** Exact origins allowed by CORS; `*` allows any origin. Empty: same-origin only. */
  corsOrigins: string[];
  logLevel: LogLevel;
  cacheTtlSeconds: number;
  /** With Redis: seconds a search result may also live in the process (0: Redis only). */
  cacheLocalTtlSeconds: number;
  dbPoolMax: number;
  /** Seconds /readyz reports "not ready" before the server stops accepting on SIGTERM. */
  shutdownDrainSeconds: number;
  /** The image tag the process runs (APP_VERSION): a metric label and the x-quote-api-version header. */
  version: string;
}

export interface DatabaseConfig {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A bad environment: the message names every bad variable, one per line. */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues.map((i) => `  - ${i}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Every address, IPv6 and IPv4 (Node listens on `::` with ipv6Only false). */
export const DUAL_STACK_HOST = '::';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * A name, host, URL or token on one line: a newline or other control character inside one
 * (a paste, a YAML block scalar) would reach a header, a URL or a log line as something else
 * (the URL parser silently drops newlines). Leading and trailing whitespace is trimmed first.
 */
const oneLine = optionalString.refine((v) => v === undefined || !/[\u0000-\u001f\u007f]/.test(v), {
  message: 'must be one line without control characters (a newline or tab inside the value): remove them',
});

const int = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const httpUrl = (what: string, protocols: string[]) =>
  oneLine.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')}...)` },
  );

/** APP_VERSION when unset: a process not started from a tagged image (`qctl dev`, tests). */
export const DEFAULT_APP_VERSION = 'local';

/** 1 GB holds the HNSW graph of ~150k 1536-dimension quotes: the build runs in memory. */
export const DEFAULT_INDEX_BUILD_MEMORY_MB = 1024;
// Chosen from the recall/latency table in docs/app.md (bench/search.ts).
export const DEFAULT_SEARCH_EF_SEARCH = 100;
export const DEFAULT_SEARCH_PROBES = 10;

const envSchema = z.object({
  PORT: int(0, 65535, 8080),
  HOST: oneLine.transform((v) => v ?? DUAL_STACK_HOST),
  DATABASE_URL: httpUrl('Postgres', ['postgres:', 'postgresql:']),
  PGHOST: oneLine,
  PGPORT: int(1, 65535, 5432),
  PGUSER: oneLine,
  PGPASSWORD: optionalString,
  PGDATABASE: oneLine,
  REDIS_URL: httpUrl('Redis', ['redis:', 'rediss:']),
  REDIS_READ_URL: httpUrl('Redis', ['redis:', 'rediss:']),
  OPENAI_API_KEY: oneLine,
  OPENAI_BASE_URL: httpUrl('http(s)', ['http:', 'https:']),
  EMBEDDING_MODEL: oneLine.transform((v) => v ?? 'text-embedding-3-small'),
  EMBEDDING_TIMEOUT_MS: int(100, 600_000, 10_000),
  EMBEDDING_MAX_RETRIES: int(0, 10, 3),
  VECTOR_INDEX: optionalString
    .pipe(z.enum(['hnsw', 'ivfflat'], { message: 'must be "hnsw" or "ivfflat"' }).optional())
    .transform((v) => v ?? 'hnsw'),
  IVFFLAT_LISTS: int(1, 100_000, 100),
  INDEX_BUILD_MEMORY_MB: int(16, 1_048_576, DEFAULT_INDEX_BUILD_MEMORY_MB),
  POSTGRES_MEMORY_LIMIT_MB: int(64, 16_777_216, 0),
  INDEX_BUILD_WORKERS: int(0, 64, 2),
  HNSW_M: int(2, 100, 16),
  HNSW_EF_CONSTRUCTION: int(4, 1000, 64),
  SEARCH_EF_SEARCH: int(1, 1000, DEFAULT_SEARCH_EF_SEARCH),
  SEARCH_PROBES: int(1, 32_768, DEFAULT_SEARCH_PROBES),
  API_TOKEN: oneLine.refine((v) => v === undefined || v.length >= 16, {
    message: 'must be at least 16 characters (generate one with `openssl rand -hex 24`)',
  }),
  CORS_ORIGINS: oneLine,
  LOG_LEVEL: optionalString
    .pipe(
      z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
          message: 'must be one of fatal, error, warn, info, debug, trace, silent',
        })
        .optional(),
    )
    .transform((v) => v ?? 'info'),
  CACHE_TTL_SECONDS: int(1, 7 * 24 * 3600, 300),
  CACHE_LOCAL_TTL_SECONDS: int(0, 3600, 10),
  DB_POOL_MAX: int(1, 200, 10),
  SHUTDOWN_DRAIN_SECONDS: int(0, 300, 0),
  APP_VERSION: optionalString
    .refine((v) => v === undefined || /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(v), {
      message: 'must look like an image tag (letters, digits, _ . -; at most 128), e.g. git-3f2a1bc',
    })
    .transform((v) => v ?? DEFAULT_APP_VERSION),
});

/**
 * The problem with one variable's value under the same rules as loadConfig, or undefined when
 * it is fine or not one of ours (qctl secrets set checks a value before storing it).
 */
export function checkVariable(name: string, value: string): string | undefined {
  const field = (envSchema.shape as Record<string, z.ZodType | undefined>)[name];
  const result = field?.safeParse(value);
  if (result && !result.success) return result.error.issues[0]?.message;
  if (name === 'CORS_ORIGINS') {
    // Origins are checked one by one after the schema (loadConfig): the same check here.
    const issues: string[] = [];
    parseOrigins(value, issues);
    return issues[0]?.replace(/^CORS_ORIGINS: /, '');
  }
  return undefined;
}

/** Reads and validates the environment. Throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  const issues: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    }
  }
  const corsOrigins = parseOrigins(env.CORS_ORIGINS, issues);
  if (parsed.success && parsed.data.REDIS_READ_URL && !parsed.data.REDIS_URL) {
    issues.push('REDIS_READ_URL: a read replica needs its primary: set REDIS_URL too (writes go there), or unset REDIS_READ_URL');
  }
  if (!parsed.success || issues.length) throw new ConfigError(issues);
  const e = parsed.data;

  const database: DatabaseConfig = e.DATABASE_URL
    ? { connectionString: e.DATABASE_URL }
    : { host: e.PGHOST ?? 'localhost', port: e.PGPORT, user: e.PGUSER, password: e.PGPASSWORD, database: e.PGDATABASE };

  return {
    port: e.PORT,
    host: e.HOST,
    database,
    redisUrl: e.REDIS_URL,
    redisReadUrl: e.REDIS_READ_URL,
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    embeddingModel: e.EMBEDDING_MODEL,
    embeddingTimeoutMs: e.EMBEDDING_TIMEOUT_MS,
    embeddingMaxRetries: e.EMBEDDING_MAX_RETRIES,
    vectorIndex: e.VECTOR_INDEX as VectorIndexKind,
    ivfflatLists: e.IVFFLAT_LISTS,
    indexBuildMemoryMb: e.INDEX_BUILD_MEMORY_MB,
    postgresMemoryLimitMb: e.POSTGRES_MEMORY_LIMIT_MB || undefined,
    indexBuildWorkers: e.INDEX_BUILD_WORKERS,
    hnswM: e.HNSW_M,
    hnswEfConstruction: e.HNSW_EF_CONSTRUCTION,
    searchEfSearch: e.SEARCH_EF_SEARCH,
    searchProbes: e.SEARCH_PROBES,
    apiToken: e.API_TOKEN,
    corsOrigins,
    logLevel: e.LOG_LEVEL as LogLevel,
    cacheTtlSeconds: e.CACHE_TTL_SECONDS,
    cacheLocalTtlSeconds: e.CACHE_LOCAL_TTL_SECONDS,
    dbPoolMax: e.DB_POOL_MAX,
    shutdownDrainSeconds: e.SHUTDOWN_DRAIN_SECONDS,
    version: e.APP_VERSION,
  };
}

/**
 * The vector index as configured, with its build tuning: the memory asked for, but at most
 * a quarter of the Postgres pod's memory limit (shared buffers, connections and, for a
 * parallel build, the graph in shared memory need the rest).
 */
export function vectorIndexSettings(
  config: Pick<AppConfig, 'vectorIndex' | 'ivfflatLists' | 'indexBuildMemoryMb' | 'postgresMemoryLimitMb' | 'indexBuildWorkers'> &
    Partial<Pick<AppConfig, 'hnswM' | 'hnswEfConstruction'>>,
): VectorIndexSettings {
  const ceiling = config.postgresMemoryLimitMb ? Math.max(16, Math.floor(config.postgresMemoryLimitMb / 4)) : Infinity;
  return {
    kind: config.vectorIndex,
    lists: config.ivfflatLists,
    hnsw: { m: config.hnswM ?? 16, efConstruction: config.hnswEfConstruction ?? 64 },
    build: { memoryMb: Math.min(config.indexBuildMemoryMb, ceiling), parallelWorkers: config.indexBuildWorkers },
  };
}

function parseOrigins(raw: string | undefined, issues: string[]): string[] {
  if (!raw || !raw.trim()) return [];
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === '*') continue;
    let ok = false;
    try {
      const url = new URL(origin);
      ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) issues.push(`CORS_ORIGINS: "${origin}" is not an origin; use scheme://host[:port] with no path or trailing slash`);
  }
  return origins;
}

/** How a log shows a secret that was not given (a given one shows as "***"). */
export const UNSET = 'unset';

/** A copy safe to log: secrets and credentials masked. */
export function redactedConfig(config: AppConfig): Record<string, unknown> {
  // "unset" rather than an absent key or "***": a reader of the log must tell a missing key from a hidden one.
  const mask = (v?: string) => (v ? '***' : UNSET);
  const dbUrl = config.database.connectionString ? maskUrlPassword(config.database.connectionString) : undefined;
  return {
    ...config,
    database: {
      ...config.database,
      connectionString: dbUrl,
      // With DATABASE_URL the password lives in the (masked) URL; there is no separate one to report.
      password: dbUrl === undefined ? mask(config.database.password) : undefined,
    },
    redisUrl: config.redisUrl ? maskUrlPassword(config.redisUrl) : undefined,
    redisReadUrl: config.redisReadUrl ? maskUrlPassword(config.redisReadUrl) : undefined,
    openaiApiKey: mask(config.openaiApiKey),
    apiToken: mask(config.apiToken),
  };
}

/** The URL with its password masked; `unparseable` when it is not a URL. */
export function maskUrlPassword(raw: string, unparseable = '***'): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return unparseable;
  }
}
