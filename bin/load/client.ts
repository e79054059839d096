import { performance } from 'node:perf_hooks';
import { Pool, type Dispatcher } from 'undici';

/** One request as the generator sends it; built once per scenario entry and reused. */
export interface RequestSpec {
  origin: string;
  method: Dispatcher.HttpMethod;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** A short label for reports, e.g. `list` or `GET /quotes`. */
  label: string;
}

/** Marks warm-up requests so that services and test servers can leave them out of their counts. */
export const WARM_UP_HEADER = 'x-qctl-warmup';

/**
 * How long sends may bunch up on a busy generator (a timer that fires late, a GC pause): the
 * requests due in that time go out together and each needs a connection of its own.
 */
export const BURST_MS = 10;

/**
 * Connections to open before the clock starts: what the rate keeps busy (rate x latency, Little's
 * law) plus a burst of BURST_MS worth of sends, within [1, maxInflight]. Opening one during the run
 * costs a handshake on the send path, which the requests due meanwhile would report as latency.
 */
export function poolSizeFor(rate: number, latencyMs: number, maxInflight: number): number {
  return Math.max(1, Math.min(maxInflight, Math.ceil((rate * (latencyMs + BURST_MS)) / 1000)));
}

/**
 * A connection pool per origin. The pool never holds more connections than the in-flight cap, and
 * the generator never has more requests in flight than that cap, so a request is written as soon as
 * it is dispatched: no hidden client-side queue to distort latency.
 */
export class HttpClient {
  private readonly pools = new Map<string, Pool>();
  /**
   * Each scenario entry's pool and undici options, built on its first send and reused for every
   * later one (scenarios cycle through a fixed list of specs). Weak: a caller that builds a fresh
   * spec per request costs a lookup, never memory.
   */
  private prepared = new WeakMap<RequestSpec, { pool: Pool; options: Dispatcher.DispatchOptions }>();

  constructor(private readonly options: { maxConnections: number; timeoutMs: number }) {}

  dispatch(spec: RequestSpec, handler: Dispatcher.DispatchHandlers): void {
    let ready = this.prepared.get(spec);
    if (ready === undefined) {
      ready = {
        pool: this.poolFor(spec.origin),
        options: { path: spec.path, method: spec.method, headers: spec.headers, body: spec.body },
      };
      this.prepared.set(spec, ready);
    }
    ready.pool.dispatch(ready.options, handler);
  }

  private poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: this.options.maxConnections,
        pipelining: 1,
        connect: { timeout: this.options.timeoutMs },
        // The generator enforces --timeout itself, from each request's scheduled time (it sweeps
        // its in-flight list on every tick): undici's own per-request timers would only cost a
        // timer update per request.
        headersTimeout: 0,
        bodyTimeout: 0,
        keepAliveTimeout: 10_000,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /**
   * Opens connections and warms the request path before the clock starts: up to `total` requests
   * from `next` over `concurrency` connections within `budgetMs`, answers discarded. Without it the first second pays for TCP handshakes
   * and JIT compilation and reports them as the service's latency.
   */
  async warmUp(next: () => RequestSpec, concurrency: number, total: number, budgetMs: number): Promise<{ medianMs: number | null }> {
    const deadline = Date.now() + budgetMs;
    let remaining = total;
    const latencies: number[] = [];
    const one = (): Promise<void> =>
      new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const sentAt = performance.now();
        const handler: Dispatcher.DispatchHandlers = {
          onConnect: (abort) => {
            timer = setTimeout(() => abort(new Error('warm-up timeout')), this.options.timeoutMs);
          },
          onHeaders: () => true,
          onData: () => true,
          onComplete: () => {
            clearTimeout(timer);
            latencies.push(performance.now() - sentAt);
            resolve();
          },
          onError: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        try {
          const spec = next();
          const { path, method, body } = spec;
          this.poolFor(spec.origin).dispatch({ path, method, body, headers: { ...spec.headers, [WARM_UP_HEADER]: '1' } }, handler);
        } catch {
          resolve();
        }
      });
    const worker = async (): Promise<void> => {
      while (remaining > 0 && Date.now() < deadline) {
        remaining--;
        await one();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    latencies.sort((a, b) => a - b);
    return { medianMs: latencies.length > 0 ? latencies[Math.floor(latencies.length / 2)]! : null };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy().catch(() => undefined)));
    this.pools.clear();
    this.prepared = new WeakMap();
  }
}
