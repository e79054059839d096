import { connect, type Socket } from 'node:net';
import { Client, type Dispatcher } from 'undici';

/*
 * Yardsticks of CPU per request for bench:load, measured in the bench process beside qctl's runs.
 */

/**
 * A yardstick for bench:load, not a client for qctl: the least an HTTP/1.1 keep-alive sender in
 * Node does per request. Each connection writes one pre-serialised GET and counts its answer by
 * Content-Length (the status line and the other headers are not parsed). It knows only what the
 * bench's own server sends: a Content-Length on every response, no chunked bodies. Errors are
 * the user's to handle (socket.on('error')).
 */
export class RawConnection {
  private pending: Buffer | null = null;
  readonly socket: Socket;

  /** onAnswer gets the head (status line and headers, lower-cased) and the body of each answer. */
  constructor(
    host: string,
    port: number,
    private readonly onAnswer: (connection: RawConnection, head: string, body: Buffer) => void,
  ) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  send(request: Buffer): void {
    this.socket.write(request);
  }

  private read(chunk: Buffer): void {
    let data = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const headEnd = data.indexOf('\r\n\r\n');
      if (headEnd < 0) break;
      const head = data.toString('latin1', 0, headEnd).toLowerCase();
      const at = head.indexOf('content-length:');
      const length = at < 0 ? 0 : parseInt(head.slice(at + 15), 10);
      const end = headEnd + 4 + length;
      if (data.length < end) break;
      const body = data.subarray(headEnd + 4, end);
      data = data.subarray(end);
      this.onAnswer(this, head, body);
    }
    this.pending = data.length > 0 ? data : null;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * The raw client on the same open-loop schedule as qctl and the undici yardstick: the requests
 * due at each timer tick go out over idle connections (busy ones queue behind their answer:
 * pipelining, which the schedule at these rates never needs). CPU per request after a warm-up
 * of the same size as the undici yardstick's.
 */
export async function rawOpenLoop(url: string, rate: number, seconds: number, connections = 16): Promise<number> {
  const { hostname, port, pathname, host } = new URL(url);
  const request = Buffer.from(`GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1');
  const idle: RawConnection[] = [];
  let answered = 0;
  const all = Array.from(
    { length: connections },
    () =>
      new RawConnection(hostname, Number(port), (connection) => {
        answered++;
        idle.push(connection);
      }),
  );
  for (const connection of all) connection.socket.on('error', () => undefined);
  await Promise.all(all.map((c) => c.ready()));
  idle.push(...all);
  const run = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const answeredBefore = answered;
      let sent = 0;
      const tick = (): void => {
        const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
        for (; sent < due; sent++) (idle.pop() ?? all[sent % all.length]!).send(request);
        if (sent < count) setTimeout(tick, Math.max(0, (sent * 1000) / rate - (performance.now() - started)));
        else {
          const wait = (): void => void (answered - answeredBefore >= count ? resolve() : setTimeout(wait, 5));
          wait();
        }
      };
      tick();
    });
  try {
    await run(Math.min(3000, rate));
    const cpu = process.cpuUsage();
    await run(rate * seconds);
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / (rate * seconds);
  } finally {
    for (const connection of all) connection.close();
  }
}

/**
 * What one wake-up of an idle Node event loop costs on this machine now: a 1 ms timer that does
 * nothing, CPU per firing. An open-loop generator wakes at least once per send time and once per
 * answer, so at modest rates this, not the HTTP work, sets the floor of CPU per request.
 */
export async function emptyWakeUs(wakes: number): Promise<number> {
  const cpu = process.cpuUsage();
  let fired = 0;
  await new Promise<void>((resolve) => {
    const again = (): void => {
      if (++fired === wakes) resolve();
      else setTimeout(again, 1);
    };
    setTimeout(again, 1);
  });
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / wakes;
}

/**
 * undici alone on qctl's schedule: the requests due at each 1 ms timer tick go out over idle
 * keep-alive Clients, nothing recorded. The CPU per request of the least an open-loop sender on
 * undici does at this rate here, measured after the same number of warm-up requests.
 */
export async function undiciOpenLoop(url: string, rate: number, seconds: number): Promise<number> {
  const origin = new URL(url).origin;
  const idle: Client[] = [];
  const all: Client[] = [];
  for (let i = 0; i < 16; i++) {
    const client = new Client(origin, { pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
    client.on('drain', () => idle.push(client));
    idle.push(client);
    all.push(client);
  }
  const handler: Dispatcher.DispatchHandlers = {
    onConnect: () => undefined,
    onHeaders: () => true,
    onData: () => true,
    onComplete: () => undefined,
    onError: () => undefined,
  };
  const options: Dispatcher.DispatchOptions = { origin, path: new URL(url).pathname, method: 'GET' };
  const run = (count: number): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      let sent = 0;
      const tick = (): void => {
        const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
        for (; sent < due; sent++) {
          const client = idle.pop() ?? all[sent % all.length]!;
          if (client.dispatch(options, handler)) idle.push(client);
        }
        if (sent < count) setTimeout(tick, Math.max(0, (sent * 1000) / rate - (performance.now() - started)));
        else setTimeout(resolve, 20);
      };
      tick();
    });
  await run(Math.min(3000, rate));
  const cpu = process.cpuUsage();
  await run(rate * seconds);
  const used = process.cpuUsage(cpu);
  await Promise.all(all.map((client) => client.close()));
  return (used.user + used.system) / (rate * seconds);
}
