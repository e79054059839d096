/**
 * Every answer read from outside (DummyJSON, an embeddings server, Prometheus, a kube log...) is
 * read through here with a byte limit. `response.text()` of a 2 GiB body would build a string V8
 * cannot hold and end the process with a native trace; here the read stops at the limit and the
 * caller gets a BodyTooLargeError naming the source and the limit.
 */

export class BodyTooLargeError extends Error {
  constructor(
    readonly what: string,
    readonly limitBytes: number,
  ) {
    super(`${what} sent an answer over ${formatBytes(limitBytes)}, more than qctl reads from it`);
    this.name = 'BodyTooLargeError';
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** The body's bytes, refused once more than `limitBytes` arrive (or are announced by Content-Length). */
export async function readBodyBytes(response: Response, limitBytes: number, what: string): Promise<Uint8Array> {
  const announced = Number(response.headers.get('content-length'));
  if (Number.isFinite(announced) && announced > limitBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(what, limitBytes);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(what, limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/**
 * The bytes of a Node stream (an undici `request()` body, a child's stdout), refused once more
 * than `limitBytes` arrive or are announced (`announcedBytes`, from Content-Length). Leaving the
 * loop early destroys the stream, so the rest is never read.
 */
export async function readStreamBytes(
  stream: AsyncIterable<Uint8Array> & { destroy(): unknown },
  limitBytes: number,
  what: string,
  announcedBytes?: number,
): Promise<Uint8Array> {
  if (announcedBytes !== undefined && Number.isFinite(announcedBytes) && announcedBytes > limitBytes) {
    stream.destroy();
    throw new BodyTooLargeError(what, limitBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > limitBytes) throw new BodyTooLargeError(what, limitBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** The body as text (UTF-8, invalid bytes replaced: this is for messages and JSON parsing). */
export async function readBodyText(response: Response, limitBytes: number, what: string): Promise<string> {
  return Buffer.from(await readBodyBytes(response, limitBytes, what)).toString('utf8');
}

/** The body parsed as JSON; a SyntaxError when it is not JSON. */
export async function readBodyJson(response: Response, limitBytes: number, what: string): Promise<unknown> {
  return JSON.parse(await readBodyText(response, limitBytes, what)) as unknown;
}

/**
 * A fetch whose responses stop at `limitBytes`: for clients that read bodies themselves (the
 * OpenAI SDK). The body stream errors with BodyTooLargeError once the limit is passed.
 */
export function boundedFetch(limitBytes: number, what: string, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const announced = Number(response.headers.get('content-length'));
    if (Number.isFinite(announced) && announced > limitBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new BodyTooLargeError(what, limitBytes);
    }
    if (!response.body) return response;
    let size = 0;
    const limited = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength;
          if (size > limitBytes) controller.error(new BodyTooLargeError(what, limitBytes));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(limited, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
