import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyText } from '../../app/bounded-body.js';
import { OpenAIEmbedder } from '../../app/embeddings/openai.js';
import { dummyJsonPages } from '../../app/seed/dummyjson.js';
import { PrometheusClient } from '../../bin/canary/prometheus.js';
import { quotesScenario } from '../../bin/load/scenario.js';
import { exitWithError, JobError } from '../../bin/cli/errors.js';
import { escapeControls, quoteOutside, redactUrl, redactUrlsIn } from '../../bin/cli/safe-text.js';
import { runQctl } from '../helpers/cli.js';

/** Clears the screen, sets the window title, hides text behind a NUL and a right-to-left override. */
const HOSTILE = '\x1b[2J\x1b]0;owned\x07before\x00after\u202eevil\x9b31m';

function expectNoRawControls(text: string): void {
  expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on a free port that answers with `handler`. */
async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Streams zeros (1 MiB at a time, honouring backpressure) until the client goes away: a 2 GiB body without a Content-Length. */
function endlessBody(res: ServerResponse, contentType = 'application/json'): void {
  res.writeHead(200, { 'content-type': contentType });
  const chunk = Buffer.alloc(1024 * 1024, 0x30);
  let sent = 0;
  const pump = (): void => {
    while (!res.destroyed && sent < 2048) {
      sent++;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.write('[');
  pump();
}

describe('credentials in URLs are redacted wherever we print or store them', () => {
  it('redactUrl hides user info and credential-like query values, keeps the rest', () => {
    expect(redactUrl('http://user:pw@prom.example:9090/x?a=1')).toBe('http://***@prom.example:9090/x?a=1');
    expect(redactUrl('https://ghp_TOKEN@host/')).toBe('https://***@host/');
    expect(redactUrl('http://h/?access_token=abc&q=love&X-Amz-Signature=zz')).toBe('http://h/?access_token=***&q=love&X-Amz-Signature=***');
    expect(redactUrl('not a url user:pw@x')).toBe('not a url user:pw@x');
  });

  it('redactUrlsIn finds URLs inside free text, including a raw @ inside a password', () => {
    const text = 'cannot reach http://admin:s3cr@t@10.0.0.1:9090/api and redis://:pass@r:6379 (refused)';
    const out = redactUrlsIn(text);
    expect(out).toBe('cannot reach http://***@10.0.0.1:9090/api and redis://***@r:6379 (refused)');
    expect(redactUrlsIn('see https://x/?token=abc123 now')).toBe('see https://x/?token=*** now');
  });

  it('every error qctl prints passes the redaction, whoever built the message', () => {
    let stderr = '';
    exitWithError(new JobError('apply failed against https://bob:hunter2@kube:6443/api'), { write: (t: string) => (stderr += t) }, {});
    exitWithError(new Error('fetch http://u:topsecret@h/ failed'), { write: (t: string) => (stderr += t) }, {});
    expect(stderr).not.toMatch(/hunter2|topsecret/);
    expect(stderr).toContain('https://***@kube:6443/api');
  });

  it('--prometheus-url with credentials: sent as Basic auth, never echoed', async () => {
    let seenAuth: string | undefined;
    const { url, server } = await serve((req, res) => {
      seenAuth = req.headers.authorization;
      res.writeHead(500, { 'content-type': 'text/plain' }).end('oops');
    });
    try {
      const withCredentials = url.replace('http://', 'http://alice:pr0m-pass@');
      const client = new PrometheusClient(withCredentials);
      expect(client.baseUrl).not.toContain('pr0m-pass');
      const failure = await client.query('up').catch((error: Error) => error);
      expect(seenAuth).toBe(`Basic ${Buffer.from('alice:pr0m-pass').toString('base64')}`);
      expect(String(failure)).toMatch(/answered HTTP 500 without JSON/);
      expect(String(failure)).not.toContain('pr0m-pass');
      const unreachable = await new PrometheusClient('http://alice:pr0m-pass@127.0.0.1:1/').query('up').catch((e: Error) => e);
      expect(String(unreachable)).toMatch(/cannot reach Prometheus at http:\/\/\*\*\*@127\.0\.0\.1:1\//);
      expect(String(unreachable)).not.toContain('pr0m-pass');
    } finally {
      server.close();
    }
  });

  it('a URL flag with credentials that is refused is echoed redacted (real qctl)', async () => {
    const result = await runQctl(['seed', '--dummyjson-url', 'ftp://bob:hunter2@example.org/', '--source', 'dummyjson']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/invalid --dummyjson-url "ftp:\/\/\*\*\*@example\.org\/"/);
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('text quoted from outside is escaped before it reaches a terminal', () => {
  it('escapeControls makes escape sequences, NUL, C1 and bidi overrides visible', () => {
    expect(escapeControls(HOSTILE)).toBe('\\x1b[2J\\x1b]0;owned\\x07before\\x00after\\u202eevil\\x9b31m');
    expect(escapeControls('a\nb\tc', { lines: true })).toBe('a\nb\tc');
    expect(escapeControls('a\r\nb')).toBe('a\\r\\nb');
    expect(quoteOutside('x'.repeat(600), 10)).toBe('xxxxxxxxxx... (600 characters)');
  });

  let dummy: { url: string; server: Server };
  let devDir: string;
  beforeAll(async () => {
    dummy = await serve((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end(HOSTILE));
    devDir = await mkdtemp(join(tmpdir(), 'qctl-hostile-'));
  });
  afterAll(async () => {
    dummy.server.close();
    await rm(devDir, { recursive: true, force: true });
  });

  it('a server answering with escape sequences and NUL: qctl seed prints them escaped (real qctl)', async () => {
    const result = await runQctl(['seed', '--dev-dir', devDir, '--dummyjson-url', dummy.url], { timeoutMs: 180_000 });
    const stderr = String(result.stderr);
    expect(result.exitCode, stderr).not.toBe(0);
    expect(stderr).toContain('HTTP 404');
    expect(stderr).toContain('\\x1b[2J\\x1b]0;owned\\x07before\\x00after');
    expectNoRawControls(stderr);
  });

  it('Prometheus error text is escaped too', async () => {
    const { url, server } = await serve((_req, res) =>
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: HOSTILE })),
    );
    try {
      const failure = (await new PrometheusClient(url).query('up').catch((e: Error) => e)) as Error;
      expect(failure.message).toContain('\\x1b]0;owned');
      expectNoRawControls(failure.message);
    } finally {
      server.close();
    }
  });
});

describe('what we read from any source is bounded (a 2 GiB body must not crash V8)', () => {
  let endless: { url: string; server: Server };
  beforeAll(async () => {
    endless = await serve((_req, res) => endlessBody(res));
  });
  afterAll(() => {
    endless.server.closeAllConnections();
    endless.server.close();
  });

  it('Prometheus: the read stops at its limit and says so', async () => {
    const failure = (await new PrometheusClient(endless.url, 60_000).query('up').catch((e: Error) => e)) as Error;
    expect(failure).toBeInstanceOf(JobError);
    expect(failure.message).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:\d+\/? sent an answer over 32 MiB/);
  });

  it('DummyJSON: the seed source stops at its limit and names the URL', async () => {
    const pages = dummyJsonPages({ baseUrl: endless.url, maxRetries: 0, timeoutMs: 60_000 });
    const failure = (await pages.next().catch((e: Error) => e)) as Error;
    expect(failure.message).toMatch(/the quotes API at http:\/\/127\.0\.0\.1:\d+\/quotes\?limit=100&skip=0 sent an answer over 16 MiB/);
  });

  it('the embeddings server: the SDK read is bounded and reported, not retried', async () => {
    const embedder = new OpenAIEmbedder({ apiKey: 'sk-test', baseURL: endless.url, timeoutMs: 60_000, maxRetries: 0 });
    const failure = (await embedder.embed(['hello']).catch((e: Error) => e)) as Error;
    expect(failure.message).toMatch(/embeddings server sent an answer over 64 MiB/);
  });

  it('load: the quotes sample stops at its limit, says so, and the run falls back to built-in ids', async () => {
    let sentChunks = 0;
    const { url, server } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && sentChunks < 2048) {
          sentChunks++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.write('[');
      pump();
    });
    try {
      const scenario = await quotesScenario(new URL(url), { mix: { search: 1, get: 0, list: 0, authors: 0 }, timeoutMs: 60_000 });
      expect(scenario.description).toMatch(/built-in ids 1-30 and quote words \(the quotes sample at .* sent an answer over 8 MiB/);
      // The client hung up at the limit: far less than the 2 GiB the server would have streamed.
      expect(sentChunks).toBeLessThan(256);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('an announced Content-Length over the limit is refused before reading', async () => {
    const { url, server } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(3 * 1024 * 1024 * 1024) });
      res.write('x');
    });
    try {
      const response = await fetch(url);
      await expect(readBodyText(response, 1024, 'the test server')).rejects.toThrow(/the test server sent an answer over 1 KiB/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
