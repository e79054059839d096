import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { EmbeddingUnavailableError } from './embeddings/provider.js';
import { HttpError } from './errors.js';
import { SearchAbandonedError } from './quotes/search-service.js';
import type { Logger } from './observability/logger.js';
import { lazyChildLogger } from './observability/request-logger.js';
import { METRICS_ROUTE, PROBE_ROUTES } from './observability/routes.js';
import { registerAuthorRoutes } from './routes/authors.js';
import type { AppContext } from './routes/context.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerPageRoutes } from './routes/page.js';
import { registerQuoteRoutes } from './routes/quotes.js';
import { registerSearchRoutes } from './routes/search.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * A `%` that does not start an ASCII escape (%00-%7F): a byte of a multi-byte UTF-8 character, or
 * a broken escape. Only such URLs need the (allocating) full decode to prove they are valid; the
 * rest, with escapes such as %20 or none at all, always decode.
 */
const NOT_AN_ASCII_ESCAPE = /%(?![0-7][\dA-Fa-f])/;

/** Names the version that answered, so a client (and `qctl`) can see a canary split. */
export const VERSION_HEADER = 'x-quote-api-version';

// Probes and scrapes would drown the access log.
const QUIET_ROUTES = new Set<string>([...PROBE_ROUTES, METRICS_ROUTE]);

/**
 * Node's parser counts the request line and the headers against one 16 KB limit. Blame the part
 * that is large: a request line that does not end within the first 8 KB of what arrived is a
 * long URL (a huge query string), not cookies or tokens.
 */
function overflowAnswer(packet: Buffer | undefined): readonly [number, string, { error: string; message: string }] {
  const lineEnd = packet ? packet.subarray(0, 8 * 1024).indexOf('\n') : 0;
  if (lineEnd === -1) {
    return [
      414,
      'URI Too Long',
      { error: 'url_too_long', message: 'the request URL is too long (over 8 KB): shorten it, e.g. a shorter q or fewer query parameters' },
    ];
  }
  return [
    431,
    'Request Header Fields Too Large',
    {
      error: 'headers_too_large',
      message: 'the request headers are too large (over 16 KB): send fewer or smaller headers, e.g. cookies or tokens',
    },
  ];
}

/** The fastify instance with every route, hook and error mapping; not yet listening. */
export async function buildServer(ctx: AppContext, log: Logger): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Our onResponse hook writes one access line per request instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // The request's child logger is made only if the request logs something (most never do).
    childLoggerFactory: lazyChildLogger,
    // A caller's x-request-id is kept when it looks like an id (so traces join up across
    // services); anything else (too long, odd characters) is replaced by a UUID.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 64 * 1024,
    // Every route parameter reaches its handler, which names it in a short 400 (fastify's default
    // of 100 answers a long id with an error echoing the whole path). No route uses a regex
    // parameter, the backtracking risk this limit guards against; Node caps the request line at 16 KB.
    routerOptions: { maxParamLength: 16 * 1024 },
    // Errors Node's HTTP parser raises (431 oversized headers, 400 malformed requests) answer
    // in the API's own {error, message} shape instead of fastify's.
    clientErrorHandler: (error, socket) => {
      const tooLarge = (error as { code?: string }).code === 'HPE_HEADER_OVERFLOW';
      const [status, reason, body] = tooLarge
        ? overflowAnswer((error as unknown as { rawPacket?: Buffer }).rawPacket)
        : ([400, 'Bad Request', { error: 'bad_request', message: 'the request is not valid HTTP' }] as const);
      if (socket.writable) {
        const json = JSON.stringify(body);
        socket.end(
          `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\n${VERSION_HEADER}: ${ctx.config.version}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
        );
      } else socket.destroy(error);
    },
    // find-my-way failures (e.g. a path with invalid percent-encoding) answer in our JSON shape.
    frameworkErrors: (error, request, reply) => {
      void request;
      void (reply as FastifyReply)
        .code(400)
        .header(VERSION_HEADER, ctx.config.version)
        .send({ error: 'bad_request', message: `bad request: ${clip(error.message, 200)}` });
    },
  });

  const { metrics } = ctx;
  // Checked once: building the access-log fields costs time even when the level drops them.
  const logRequests = log.isLevelEnabled('info');
  // Each request is recorded once: by onResponse, or by onRequestAbort when the client went
  // away first (status 499, as nginx logs it), so the in-flight gauge never leaks.
  // A decorated field (not a WeakMap or an ad-hoc property) keeps fastify's request shape stable.
  app.decorateRequest('startedAt', 0);
  // `route`: the route template, read once per request (fastify builds routeOptions on each read).
  const record = (request: FastifyRequest, route: string, status: number) => {
    const start = request.startedAt;
    if (!start) return false;
    request.startedAt = 0;
    metrics.requestInFlight(-1);
    metrics.observeHttp(request.method, route, status, (performance.now() - start) / 1000);
    return true;
  };

  app.addHook('onRequest', (request, reply, done) => {
    request.startedAt = performance.now();
    metrics.requestInFlight(1);
    reply.header('x-request-id', request.id);
    reply.header(VERSION_HEADER, ctx.config.version);
    // Invalid UTF-8 in percent-encoding (e.g. %FF) must be a 400, not a silently mangled query.
    const url = request.raw.url ?? '';
    if (url.includes('%') && NOT_AN_ASCII_ESCAPE.test(url)) {
      try {
        decodeURIComponent(url);
      } catch {
        done(
          new HttpError(
            400,
            'bad_encoding',
            'the URL contains invalid percent-encoding or invalid UTF-8: encode text as UTF-8 and percent-encode it',
          ),
        );
        return;
      }
    }
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    // The route template (never the raw path) keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    if (!record(request, route, reply.statusCode)) return done();
    if (logRequests && (!QUIET_ROUTES.has(route) || reply.statusCode >= 400)) {
      request.log.info(
        { method: request.method, route, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request',
      );
    }
    done();
  });

  app.addHook('onRequestAbort', (request, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (record(request, route, 499) && logRequests) {
      request.log.info({ method: request.method, route, url: request.url, status: 499 }, 'client closed the request');
    }
    done();
  });

  // JSON is the only body this API takes (anything else: 415). JSON bodies must be valid
  // UTF-8; Node would otherwise replace bad bytes with U+FFFD.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let textBody: string;
    try {
      textBody = strictUtf8.decode(body as Buffer);
    } catch {
      done(new HttpError(400, 'bad_encoding', 'the request body is not valid UTF-8'), undefined);
      return;
    }
    if (!textBody.trim()) return done(null, undefined);
    try {
      done(null, JSON.parse(textBody));
    } catch (error) {
      done(new HttpError(400, 'bad_json', `the request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  // Without an allowlist the API is same-origin only: no CORS plugin, no per-request hook.
  const allowed = new Set(ctx.config.corsOrigins);
  if (allowed.size) {
    await app.register(cors, {
      origin: allowed.has('*') ? true : (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'location'],
      maxAge: 600,
    });
  }

  app.setErrorHandler((error: FastifyError | HttpError | Error, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send({ error: error.code, message: error.message });
    }
    if (error instanceof SearchAbandonedError || (error.name === 'AbortError' && request.raw.destroyed)) {
      // Nobody is listening; onRequestAbort has recorded the request as 499.
      return reply.code(499).send();
    }
    if (error instanceof EmbeddingUnavailableError) {
      request.log.warn({ err: error.message }, 'embeddings unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'embeddings_unavailable', message: `search is unavailable right now: ${error.message}` });
    }
    const status = (error as FastifyError).statusCode;
    if ((error as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const sent = request.headers['content-type'];
      const what = sent ? `content type "${sent}"` : 'a body without a content type';
      return reply.code(415).send({
        error: 'unsupported_media_type',
        message: `this API takes JSON bodies only, not ${what}: send the header content-type: application/json`,
      });
    }
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ error: fastifyCode(error as FastifyError), message: error.message });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error({ err: error.message }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'database_unavailable', message: 'the database is unavailable; try again shortly' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: `internal error (request id ${request.id})` });
  });

  app.setNotFoundHandler((request, reply) => {
    // The path is echoed so the caller sees the typo, but never at length.
    reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${clip(request.url.split('?')[0]!)}` });
  });

  registerHealthRoutes(app, ctx);
  registerQuoteRoutes(app, ctx);
  registerSearchRoutes(app, ctx);
  registerAuthorRoutes(app, ctx);
  registerPageRoutes(app);
  return app;
}

/** Text from the request, shortened for an error message. */
export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

function fastifyCode(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'bad_json';
    default:
      return 'bad_request';
  }
}

/** Connection-level failures (refused, reset, pool timeout) are 503s, not bugs. */
function isDatabaseUnavailable(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P03', '53300', '08006', '08001', '08003'].includes(
      code,
    ) || /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(error.message)
  );
}

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the request arrived; 0 once its metrics are recorded. */
    startedAt: number;
  }
}
