import { performance } from 'node:perf_hooks';
import { Client, type Dispatcher } from 'undici';

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
 * One origin's keep-alive connections: an undici Client each (HTTP/1.1, pipelining 1). Idle ones
 * wait on a stack (the most recently used, warmest, on top), so taking one is a pop, where undici's
 * Pool scans its connections for a free one. A connection is opened only when none is idle, never
 * more than `max`; undici's per-request timers are off (the generator enforces --timeout itself,
 * from each request's scheduled time, sweeping its in-flight list on every tick).
 */
class OriginConnections {
  private readonly idle: Client[] = [];
  private readonly all: Client[] = [];
  private overflow = 0;

  constructor(
    private readonly origin: string,
    private readonly max: number,
    private readonly connectTimeoutMs: number,
  ) {}

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): void {
    let client = this.idle.pop();
    if (client === undefined) {
      if (this.all.length < this.max) client = this.open();
      // More requests than connections (the generator never gives that many: its in-flight cap is
      // `max`): queued behind a running one.
      else client = this.all[this.overflow++ % this.all.length]!;
    }
    // false: the connection is busy until undici emits 'drain', which puts it back on the stack.
    if (client.dispatch(options, handler)) this.idle.push(client);
  }

  private open(): Client {
    const client = new Client(this.origin, {
      pipelining: 1,
      connect: { timeout: this.connectTimeoutMs },
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 10_000,
    });
    client.on('drain', () => this.idle.push(client));
    this.all.push(client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((client) => client.destroy().catch(() => undefined)));
    this.all.length = 0;
    this.idle.length = 0;
  }
}

/**
 * The generator's HTTP client: keep-alive connections per origin, never more than the in-flight
 * cap, and the generator never has more requests in flight than that cap, so a request is written
 * as soon as it is dispatched: no hidden client-side queue to distort latency.
 */
export class HttpClient {
  private readonly origins = new Map<string, OriginConnections>();
  /**
   * Each scenario entry's connections and undici options, built on its first send and reused for
   * every later one (scenarios cycle through a fixed list of specs). Weak: a caller that builds a
   * fresh spec per request costs a lookup, never memory.
   */
  private prepared = new WeakMap<RequestSpec, { connections: OriginConnections; options: Dispatcher.DispatchOptions }>();

  constructor(private readonly options: { maxConnections: number; timeoutMs: number }) {}

  dispatch(spec: RequestSpec, handler: Dispatcher.DispatchHandlers): void {
    let ready = this.prepared.get(spec);
    if (ready === undefined) {
      ready = {
        connections: this.connectionsTo(spec.origin),
        // With the origin given, undici skips rebuilding it from the client's URL on every request.
        options: { origin: spec.origin, path: spec.path, method: spec.method, headers: spec.headers, body: spec.body },
      };
      this.prepared.set(spec, ready);
    }
    ready.connections.dispatch(ready.options, handler);
  }

  private connectionsTo(origin: string): OriginConnections {
    let connections = this.origins.get(origin);
    if (connections === undefined) {
      connections = new OriginConnections(origin, this.options.maxConnections, this.options.timeoutMs);
      this.origins.set(origin, connections);
    }
    return connections;
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
          this.connectionsTo(spec.origin).dispatch({ path, method, body, headers: { ...spec.headers, [WARM_UP_HEADER]: '1' } }, handler);
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
    await Promise.all([...this.origins.values()].map((connections) => connections.close()));
    this.origins.clear();
    this.prepared = new WeakMap();
  }
}
