import client from 'prom-client';
import { DEFAULT_APP_VERSION } from '../config.js';

export type CacheName = 'search' | 'embedding';
export type CacheResult = 'hit' | 'miss' | 'error';
/** Which Redis answered a cache read: the read replica beside the pod, or the primary. */
export type CacheReadSource = 'replica' | 'primary';

/**
 * The service's metrics, on a registry of its own (not the prom-client global), so that
 * several service instances in one process (tests, `qctl dev`) never collide.
 * Names and labels are a cross-team contract: dashboards and alert rules read them.
 */
export interface AppMetrics {
  registry: client.Registry;
  httpRequests: client.Counter<HttpLabel>;
  httpDuration: client.Histogram<HttpLabel>;
  httpInFlight: client.Gauge;
  /** A request started (+1) or finished (-1); http_requests_in_flight reads the sum when scraped. */
  requestInFlight(change: 1 | -1): void;
  embeddingRequests: client.Counter<'provider' | 'outcome'>;
  embeddingDuration: client.Histogram<'provider'>;
  cacheOperations: client.Counter<'cache' | 'result'>;
  dbPoolConnections: client.Gauge<'state'>;
  cacheReads: client.Counter<'source'>;
  /** Records one finished HTTP request (the count reaches http_requests_total at the next scrape). */
  observeHttp(method: string, route: string, status: number, seconds: number): void;
  /** Counts one cache lookup (it reaches quotes_cache_operations_total at the next scrape). */
  cache(cache: CacheName, result: CacheResult): void;
  /** One Redis read with a read replica configured, by the Redis that answered it. */
  cacheRead(source: CacheReadSource): void;
}

/** `version`: the image tag the process runs (APP_VERSION), so a canary's series stand apart from the stable ones. */
type HttpLabel = 'method' | 'route' | 'status' | 'version';

/** One HTTP series: its prom-client children, and what they have not been given yet. */
interface HttpSeries {
  /** Requests not yet added to the counter. */
  uncounted: number;
  count: client.Counter.Internal;
  duration: client.Histogram.Internal<HttpLabel>;
  /** Durations (seconds) not yet observed by the histogram: the first `unobserved` slots. */
  durations: Float64Array;
  unobserved: number;
}

/**
 * Durations are handed to prom-client's histogram in batches of this many (and at every read).
 * One observation costs ~10 µs of CPU in the server when it is made per request (label checks,
 * a hash string, a lookup, all on cold caches) and well under 1 µs in a batch.
 */
const DURATION_BATCH = 256;

function observeDurations(series: HttpSeries): void {
  for (let i = 0; i < series.unobserved; i++) series.duration.observe(series.durations[i]!);
  series.unobserved = 0;
}

export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface MetricsOptions {
  pool?: () => PoolStats | undefined;
  defaultMetrics?: boolean;
  /** Value of the `version` label of the HTTP series. @default 'local' */
  version?: string;
}

export function createMetrics(options: MetricsOptions = {}): AppMetrics {
  const version = options.version ?? DEFAULT_APP_VERSION;
  const registry = new client.Registry();
  if (options.defaultMetrics !== false) client.collectDefaultMetrics({ register: registry });

  // The hot path counts in plain numbers; the counters take them when read (collect runs on every
  // scrape and get()). An increment through prom-client hashes its labels each time, and these two
  // are counted on every request.
  const httpSeries = new Map<string, HttpSeries>();
  const httpRequests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template, status code and app version.',
    labelNames: ['method', 'route', 'status', 'version'] as const,
    registers: [registry],
    collect() {
      for (const series of httpSeries.values()) {
        if (series.uncounted === 0) continue;
        series.count.inc(series.uncounted);
        series.uncounted = 0;
      }
    },
  });
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template, status code and app version.',
    labelNames: ['method', 'route', 'status', 'version'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
    collect() {
      for (const series of httpSeries.values()) observeDurations(series);
    },
  });
  let requestsInFlight = 0;
  const httpInFlight = new client.Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served right now.',
    registers: [registry],
    collect() {
      this.set(requestsInFlight);
    },
  });
  const embeddingRequests = new client.Counter({
    name: 'quotes_embedding_requests_total',
    help: 'Embedding requests (each HTTP attempt for remote providers), by provider and outcome.',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const embeddingDuration = new client.Histogram({
    name: 'quotes_embedding_request_duration_seconds',
    help: 'Embedding request duration in seconds, by provider.',
    labelNames: ['provider'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const uncountedCache: Record<CacheName, Record<CacheResult, number>> = {
    search: { hit: 0, miss: 0, error: 0 },
    embedding: { hit: 0, miss: 0, error: 0 },
  };
  const cacheOperations = new client.Counter({
    name: 'quotes_cache_operations_total',
    help: 'Cache lookups and failures, by cache (search|embedding) and result (hit|miss|error).',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
    collect() {
      for (const cache of ['search', 'embedding'] as const) {
        for (const result of ['hit', 'miss', 'error'] as const) {
          const uncounted = uncountedCache[cache][result];
          if (uncounted === 0) continue;
          this.inc({ cache, result }, uncounted);
          uncountedCache[cache][result] = 0;
        }
      }
    },
  });
  const poolStats = options.pool;
  const dbPoolConnections = new client.Gauge({
    name: 'quotes_db_pool_connections',
    help: 'Postgres pool connections, by state (total|idle|waiting).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStats?.();
      if (!stats) return;
      this.set({ state: 'total' }, stats.totalCount);
      this.set({ state: 'idle' }, stats.idleCount);
      this.set({ state: 'waiting' }, stats.waitingCount);
    },
  });
  const cacheReads = new client.Counter({
    name: 'quotes_cache_reads_total',
    help: 'Redis cache reads with a read replica configured, by the Redis that answered (replica|primary): primary means the replica was down, syncing or failed the read.',
    labelNames: ['source'] as const,
    // Registered on first use: without a read replica /metrics stays exactly as before.
    registers: [],
  });
  // Zero-initialise the contract series so dashboards and alerts see them before the first event.
  for (const cache of ['search', 'embedding'] as const) {
    for (const result of ['hit', 'miss', 'error'] as const) cacheOperations.inc({ cache, result }, 0);
  }

  const cacheReadChildren = new Map<CacheReadSource, client.Counter.Internal>();

  const seriesOf = (method: string, route: string, status: number): HttpSeries => {
    const key = `${method} ${status} ${route}`;
    let series = httpSeries.get(key);
    if (!series) {
      const labels = { method, route, status: String(status), version };
      series = {
        uncounted: 0,
        count: httpRequests.labels(labels),
        duration: httpDuration.labels(labels),
        durations: new Float64Array(DURATION_BATCH),
        unobserved: 0,
      };
      httpSeries.set(key, series);
    }
    return series;
  };

  return {
    registry,
    httpRequests,
    httpDuration,
    httpInFlight,
    embeddingRequests,
    embeddingDuration,
    cacheOperations,
    dbPoolConnections,
    cacheReads,
    requestInFlight(change) {
      requestsInFlight += change;
    },
    observeHttp(method, route, status, seconds) {
      const series = seriesOf(method, route, status);
      series.uncounted++;
      series.durations[series.unobserved++] = seconds;
      if (series.unobserved === DURATION_BATCH) observeDurations(series);
    },
    cache(cache, result) {
      uncountedCache[cache][result]++;
    },
    cacheRead(source) {
      let child = cacheReadChildren.get(source);
      if (!child) {
        if (cacheReadChildren.size === 0) registry.registerMetric(cacheReads);
        child = cacheReads.labels({ source });
        cacheReadChildren.set(source, child);
      }
      child.inc();
    },
  };
}
