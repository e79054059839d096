import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Pages quotes like https://dummyjson.com/quotes: `limit` (default 30, 0 = all) and `skip`,
 * answering {quotes, total, skip, limit}. Can fail the next requests on demand.
 */
export interface FakeDummyJson {
  url: string;
  /** limit/skip of every GET /quotes, in order, with the status answered. */
  requests: { limit: number; skip: number; status: number }[];
  failNext(...failures: { status: number; retryAfter?: string }[]): void;
  stop(): Promise<void>;
}

export async function startFakeDummyJson(quotes: unknown[]): Promise<FakeDummyJson> {
  const requests: FakeDummyJson['requests'] = [];
  const pending: { status: number; retryAfter?: string }[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== '/quotes') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `Route ${url.pathname} not found` }));
      return;
    }
    const limitParam = url.searchParams.get('limit');
    const limit = limitParam === null ? 30 : Number(limitParam);
    const skip = Number(url.searchParams.get('skip') ?? 0);
    const failure = pending.shift();
    requests.push({ limit, skip, status: failure?.status ?? 200 });
    if (failure) {
      res.writeHead(failure.status, { 'content-type': 'text/plain', ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) });
      res.end('Service Unavailable');
      return;
    }
    const page = limit === 0 ? quotes.slice(skip) : quotes.slice(skip, skip + limit);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ quotes: page, total: quotes.length, skip, limit: page.length }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (...failures) => void pending.push(...failures),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
