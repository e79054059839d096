import { createServer, type IncomingMessage, type Server } from 'node:http';
import { LocalEmbedder } from '../../app/embeddings/local.js';
import { freePort } from '../helpers/ports.js';

export interface ScriptedFailure {
  status: number;
  headers?: Record<string, string>;
}

export interface SeenRequest {
  path: string;
  authorization?: string;
  body: { model: string; input: string[] | string; encoding_format?: string };
}

/**
 * An OpenAI-compatible embeddings server on 127.0.0.1 (the process boundary, so a real HTTP
 * server rather than a mock). It answers like the real API: base64 float32 vectors when
 * asked for base64 (the SDK's default). Vectors come from the local embedder so they rank
 * sensibly. Behaviour is scripted: `failNext` queues failures, `failAlways` fails every call.
 */
export class FakeOpenAI {
  readonly requests: SeenRequest[] = [];
  private readonly queued: ScriptedFailure[] = [];
  private always?: ScriptedFailure;
  delayMs = 0;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    const port = await freePort();
    const local = new LocalEmbedder();
    this.server = createServer((req, res) => {
      void (async () => {
        const body = JSON.parse(await readBody(req)) as SeenRequest['body'];
        this.requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        if (res.destroyed) return;
        const failure = this.queued.shift() ?? this.always;
        if (failure) {
          res.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers });
          res.end(JSON.stringify({ error: { message: `scripted ${failure.status}`, type: 'server_error', code: null } }));
          return;
        }
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        const { vectors } = await local.embed(inputs);
        const data = vectors.map((v, index) => ({
          object: 'embedding',
          index,
          embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
        }));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            data,
            model: body.model,
            usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
          }),
        );
      })();
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${port}/v1`;
    return this;
  }

  failNext(...failures: ScriptedFailure[]): void {
    this.queued.push(...failures);
  }

  failAlways(failure: ScriptedFailure | undefined): void {
    this.always = failure;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
