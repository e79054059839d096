import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient, type RequestSpec } from './client.js';
import { runOpenLoop } from './generator.js';

/**
 * Requests sent through the send path before the first run of a thread: about one second of the
 * rate (what its first second would otherwise send through unoptimized code), within these bounds.
 * It costs CPU before the clock starts (about 0.2-0.4 ms per request, sink included), so a gentle
 * run does not pay for a high rate's warm-up.
 */
export const SEND_PATH_WARM_UP_REQUESTS = 3000;
const MIN_SEND_PATH_WARM_UP_REQUESTS = 500;

/** How many sink requests warm the send path for a thread that starts at `rate` requests per second. */
export function sendPathWarmUpRequests(rate: number): number {
  return Math.max(MIN_SEND_PATH_WARM_UP_REQUESTS, Math.min(SEND_PATH_WARM_UP_REQUESTS, Math.ceil(rate)));
}
/** Fast enough to take a fraction of a second, slow enough not to flood a busy machine. */
const SINK_RATE = 10_000;
const SINK_CONNECTIONS = 8;

/** What the sink saw: requests it answered (none of them is the target's, none enters a result). */
export interface SendPathWarmUp {
  answered: number;
}

let warmed: Promise<SendPathWarmUp> | undefined;

/**
 * Warms the JIT of the whole send path (the schedule, the generator's tick and handlers, the
 * response log, the histograms, undici's Client) before the clock starts, by running the same
 * generator against a sink: a node:http server in this thread on a loopback port, never the
 * target. V8 optimizes a function after it has run enough; a fresh process or worker thread
 * otherwise does that during the measured run, at the rate's pace (seconds at a few hundred
 * requests per second), and its unoptimized code costs CPU per request there.
 *
 * Once per thread (every isolate compiles its own code), sized by the first run's rate; later runs
 * in the thread wait for the first warm-up and return. Nothing of it reaches a result: its own generator run is discarded.
 */
export function warmSendPath(rate: number): Promise<SendPathWarmUp> {
  warmed ??= runAgainstSink(sendPathWarmUpRequests(rate));
  return warmed;
}

async function runAgainstSink(requests: number): Promise<SendPathWarmUp> {
  let answered = 0;
  const server = createServer((request, response) => {
    answered++;
    request.resume();
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Shaped like a plain URL target's request (no extra headers): the sink is ours, nothing to mark.
  const spec: RequestSpec = { origin, method: 'GET', path: '/', label: 'warm-up' };
  const client = new HttpClient({ maxConnections: SINK_CONNECTIONS, timeoutMs: 2000 });
  try {
    await runOpenLoop({
      phases: [{ rate: SINK_RATE, durationMs: (requests / SINK_RATE) * 1000 }],
      source: { next: () => spec },
      maxInflight: SINK_CONNECTIONS,
      timeoutMs: 2000,
      // A busy machine makes the sink slow: wait for a connection rather than drop (drops skip the path being warmed).
      sendGraceMs: 2000,
      client,
    });
  } catch {
    // A warm-up that fails costs speed, never the run.
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { answered };
}
