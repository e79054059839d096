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
 * A connection pool per origin. The pool never holds more connections than the in-flight cap, and
 * the generator never has more requests in flight than that cap, so a request is written as soon as
 * it is dispatched: no hidden client-side queue to distort latency.
 */
export class HttpClient {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: { maxConnections: number; timeoutMs: number }) {}

  dispatch(spec: RequestSpec, handler: Dispatcher.DispatchHandlers): void {
    let pool = this.pools.get(spec.origin);
    if (pool === undefined) {
      pool = new Pool(spec.origin, {
        connections: this.options.maxConnections,
        pipelining: 1,
        connect: { timeout: this.options.timeoutMs },
        // The generator enforces --timeout from the scheduled time; these are a backstop only.
        headersTimeout: this.options.timeoutMs + 5000,
        bodyTimeout: this.options.timeoutMs + 5000,
        keepAliveTimeout: 10_000,
      });
      this.pools.set(spec.origin, pool);
    }
    pool.dispatch({ path: spec.path, method: spec.method, headers: spec.headers, body: spec.body }, handler);
  }

  /**
   * Opens connections and warms the request path before the clock starts: up to `total` requests
   * from `next` over `concurrency` connections within `budgetMs`, answers discarded. Without it the first second pays for TCP handshakes
   * and JIT compilation and reports them as the service's latency.
   */
  async warmUp(next: () => RequestSpec, concurrency: number, total: number, budgetMs: number): Promise<void> {
    const deadline = Date.now() + budgetMs;
    let remaining = total;
    const one = (): Promise<void> =>
      new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const handler: Dispatcher.DispatchHandlers = {
          onConnect: (abort) => {
            timer = setTimeout(() => abort(new Error('warm-up timeout')), this.options.timeoutMs);
          },
          onHeaders: () => true,
          onData: () => true,
          onComplete: () => {
            clearTimeout(timer);
            resolve();
          },
          onError: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        try {
          const spec = next();
          this.dispatch({ ...spec, headers: { ...spec.headers, [WARM_UP_HEADER]: '1' } }, handler);
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
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}
