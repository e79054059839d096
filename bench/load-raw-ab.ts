/**
 * `npx tsx bench/load-raw-ab.ts`: evidence for issue #31, not a benchmark row. qctl's own open-loop
 * generator (bin/load/generator.ts) at 1,000 req/s over its undici client and, alternately in the
 * same process, over a minimal raw node:net HTTP/1.1 client behind the same dispatch interface
 * (plain http, GET without body, Content-Length answers only: a prototype, never for qctl as is).
 * CPU per request of each, after the same warm-up, and the yardsticks beside them. Ratios within
 * the run survive a busy machine; print the load average with them.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import type { Dispatcher } from 'undici';
import { HttpClient, type RequestSpec } from '../bin/load/client.js';
import { runOpenLoop } from '../bin/load/generator.js';
import { emptyWakeUs, RawConnection, rawOpenLoop, undiciOpenLoop } from './load-yardsticks.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The prototype behind HttpClient's dispatch: one request per connection at a time, idle ones on a stack. */
class RawClient {
  private readonly idle: RawConnection[] = [];
  private readonly all: RawConnection[] = [];
  /** What each connection's request in flight reports to (one at a time: no pipelining). */
  private readonly handlers = new Map<RawConnection, Dispatcher.DispatchHandlers>();
  private readonly wire = new WeakMap<RequestSpec, Buffer>();
  constructor(private readonly url: URL) {}
  dispatch(spec: RequestSpec, handler: Dispatcher.DispatchHandlers): void {
    let request = this.wire.get(spec);
    if (request === undefined) {
      request = Buffer.from(`${spec.method} ${spec.path} HTTP/1.1\r\nhost: ${this.url.host}\r\n\r\n`, 'latin1');
      this.wire.set(spec, request);
    }
    const connection = this.idle.pop() ?? this.open();
    this.handlers.set(connection, handler);
    handler.onConnect!((error) => connection.socket.destroy(error));
    connection.socket.write(request);
  }
  private open(): RawConnection {
    const connection = new RawConnection(this.url.hostname, Number(this.url.port), (c, head, body) => {
      const handler = this.handlers.get(c)!;
      this.handlers.delete(c);
      this.idle.push(c);
      handler.onHeaders!(Number(head.slice(9, 12)), [], () => undefined, '');
      handler.onData!(body);
      handler.onComplete!([]);
    });
    connection.socket.on('error', (error) => this.handlers.get(connection)?.onError!(error));
    this.all.push(connection);
    return connection;
  }
  async close(): Promise<void> {
    for (const c of this.all) c.socket.destroy();
  }
}

const SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end('ok'); });
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + server.address().port + '\\n'));
`;
const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) =>
  child.stdout.on('data', (chunk: Buffer) => {
    const match = /listening (\d+)/.exec(chunk.toString());
    if (match) resolve(Number(match[1]));
  }),
);
const url = `http://127.0.0.1:${port}/`;
const spec: RequestSpec = { origin: new URL(url).origin, method: 'GET', path: '/', label: 'GET /' };

async function generator(client: HttpClient | RawClient, rate: number, seconds: number): Promise<{ us: number; p99: number; ok: number }> {
  const cpu = process.cpuUsage();
  const result = await runOpenLoop({
    phases: [{ rate, durationMs: seconds * 1000 }],
    source: { next: () => spec },
    maxInflight: 1000,
    timeoutMs: 2000,
    sendGraceMs: 20,
    // The prototype is shaped like HttpClient where the generator uses it (dispatch).
    client: client as HttpClient,
  });
  const used = process.cpuUsage(cpu);
  return {
    us: (used.user + used.system) / result.overall.sent,
    p99: result.overall.percentileMs(99),
    ok: result.overall.statusCodes.get(200) ?? 0,
  };
}

try {
  const undici = new HttpClient({ maxConnections: 1000, timeoutMs: 2000 });
  const raw = new RawClient(new URL(url));
  // The same warm-up for both: the generator's JIT and each client's connections.
  for (const client of [undici, raw]) await generator(client, 3000, 2);
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('round | generator+undici us/req (p99 ms) | generator+raw us/req (p99 ms) | undici alone | raw alone | idle wake');
  for (let round = 1; round <= ROUNDS; round++) {
    const a = await generator(undici, 1000, SECONDS);
    const b = await generator(raw, 1000, SECONDS);
    const u = await undiciOpenLoop(url, 1000, SECONDS);
    const r = await rawOpenLoop(url, 1000, SECONDS);
    const w = await emptyWakeUs(2000);
    if (a.ok !== 1000 * SECONDS || b.ok !== 1000 * SECONDS) throw new Error(`answers: undici ${a.ok}, raw ${b.ok}`);
    console.log(
      `${round} | ${a.us.toFixed(1)} (${a.p99.toFixed(2)}) | ${b.us.toFixed(1)} (${b.p99.toFixed(2)}) | ${u.toFixed(1)} | ${r.toFixed(1)} | ${w.toFixed(1)}` +
        `  -> generator+raw / generator+undici ${(b.us / a.us).toFixed(2)}, generator+raw / raw alone ${(b.us / r).toFixed(2)}`,
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await undici.close();
  await raw.close();
} finally {
  child.kill();
}
