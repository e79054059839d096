import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible embeddings server on 127.0.0.1, for the process boundary only:
 * POST /v1/embeddings answers base64 (or float) vectors and a usage field, and can be
 * told to answer errors (429 with Retry-After, 500) or to be slow.
 */
export interface FakeOpenAI {
  /** Base URL to use as OPENAI_BASE_URL (ends in /v1). */
  url: string;
  /** Every POST /embeddings, in arrival order. */
  requests: { at: number; inputs: number; status: number; model: string; dimensions?: number }[];
  /** Successful embedding answers. */
  readonly succeeded: number;
  /** Answers these statuses (in order) to the next requests before answering normally. */
  failNext(...failures: { status: number; retryAfter?: string }[]): void;
  /** Every request fails with this status until cleared (undefined). */
  failAlways: number | undefined;
  /** Added before each answer. */
  delayMs: number;
  reset(): void;
  stop(): Promise<void>;
}

export const FAKE_DIMENSIONS = 1536;

/** The vector the fake server gives `text`: a deterministic, dense unit vector (float32). */
export function fakeEmbedding(text: string): Float32Array {
  const seed = createHash('sha256').update(text).digest();
  let state = seed.readUInt32LE(0) || 1;
  const vector = new Float32Array(FAKE_DIMENSIONS);
  let norm = 0;
  for (let i = 0; i < FAKE_DIMENSIONS; i++) {
    // xorshift32: fast, deterministic, good enough to make distinct texts far apart.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const value = ((state >>> 0) / 0xffffffff) * 2 - 1;
    vector[i] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < FAKE_DIMENSIONS; i++) vector[i] = vector[i]! / norm;
  return vector;
}

export function fakeTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const pending: { status: number; retryAfter?: string }[] = [];
  const state = {
    requests: [] as FakeOpenAI['requests'],
    succeeded: 0,
    failAlways: undefined as number | undefined,
    delayMs: 0,
  };
  const server: Server = createServer((req, res) => {
    void handle(req).then(
      ({ status, headers, body }) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(error) } }));
      },
    );
  });

  async function handle(req: IncomingMessage): Promise<{ status: number; headers?: Record<string, string>; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/embeddings')) {
      return { status: 404, body: { error: { message: `no route ${req.method} ${req.url}` } } };
    }
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      input: string | string[];
      model: string;
      encoding_format?: 'float' | 'base64';
      dimensions?: number;
    };
    const inputs = Array.isArray(request.input) ? request.input : [request.input];
    const record = { at: Date.now(), inputs: inputs.length, status: 200, model: request.model, dimensions: request.dimensions };
    state.requests.push(record);
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    const failure = pending.shift() ?? (state.failAlways ? { status: state.failAlways } : undefined);
    if (failure) {
      record.status = failure.status;
      return {
        status: failure.status,
        headers: failure.retryAfter !== undefined ? { 'retry-after': failure.retryAfter } : {},
        body: { error: { message: failure.status === 429 ? 'Rate limit reached' : 'The server had an error', type: 'server_error' } },
      };
    }
    state.succeeded++;
    let tokens = 0;
    const data = inputs.map((text, index) => {
      tokens += fakeTokens(text);
      // Like the real API: text-embedding-3-large answers 3072 dimensions unless asked for fewer.
      const vector = request.model === 'text-embedding-3-large' ? largeEmbedding(text, request.dimensions) : fakeEmbedding(text);
      const embedding =
        request.encoding_format === 'base64'
          ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
          : Array.from(vector);
      return { object: 'embedding', index, embedding };
    });
    return { status: 200, body: { object: 'list', data, model: request.model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get succeeded() {
      return state.succeeded;
    },
    get failAlways() {
      return state.failAlways;
    },
    set failAlways(status: number | undefined) {
      state.failAlways = status;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    failNext(...failures) {
      pending.push(...failures);
    },
    reset() {
      state.requests = [];
      state.succeeded = 0;
      state.failAlways = undefined;
      state.delayMs = 0;
      pending.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A 3072-dimension vector (two fake ones), shortened to `dimensions` the way the API does. */
function largeEmbedding(text: string, dimensions?: number): Float32Array {
  const full = new Float32Array(3072);
  full.set(fakeEmbedding(text), 0);
  full.set(fakeEmbedding(`${text} `), 1536);
  return dimensions ? full.slice(0, dimensions) : full;
}
