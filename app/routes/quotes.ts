import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { contentHash, embeddingText } from '../quotes/quote-text.js';
import type { AppContext } from './context.js';
import { decodeCursor, encodeCursor, intParam, parseId, parseQuery, parseWith, text } from './validation.js';

const listQuery = z.object({
  author: text('author', 200).optional(),
  limit: intParam('limit', 1, 100, 20),
  cursor: z.string().optional(),
});

const newQuoteBody = z
  .object({
    quote: text('quote', 2000),
    author: text('author', 200),
  })
  .strict();

export function registerQuoteRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/quotes', async (request) => {
    const query = parseQuery(listQuery, request.query);
    const afterId = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
    let authors: string[] | undefined;
    if (query.author) {
      authors = await ctx.repository.resolveAuthors(query.author);
      if (!authors.length) return { items: [], nextCursor: null, matchedAuthors: [] };
    }
    // One extra row tells whether another page exists without a count query.
    const rows = await ctx.repository.list({ limit: query.limit + 1, afterId, authors });
    const items = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? encodeCursor(items[items.length - 1]!.id) : null;
    return authors ? { items, nextCursor, matchedAuthors: authors } : { items, nextCursor };
  });

  app.get<{ Params: { id: string } }>('/quotes/:id', async (request) => {
    parseQuery(z.object({}), request.query);
    const id = parseId(request.params.id);
    const quote = await ctx.repository.getById(id);
    if (!quote) throw new HttpError(404, 'not_found', `no quote with id ${id}`);
    return quote;
  });

  app.post('/quotes', { bodyLimit: 16 * 1024 }, async (request, reply) => {
    parseQuery(z.object({}), request.query);
    authorize(request, ctx.config.apiToken);
    if (request.body === undefined || request.body === null || typeof request.body !== 'object' || Array.isArray(request.body)) {
      throw new HttpError(400, 'bad_request', 'body must be a JSON object: {"quote": "...", "author": "..."}');
    }
    const body = parseWith(newQuoteBody, request.body);
    const hash = contentHash(body.quote, body.author);
    // Look before embedding: a duplicate should not cost an embeddings call.
    const existing = await ctx.repository.findByHash(hash);
    if (existing) return reply.code(200).send({ ...existing, duplicate: true });
    const { vectors } = await ctx.embedder.embed([embeddingText(body.quote, body.author)]);
    const { quote, created } = await ctx.repository.insert({
      quote: body.quote,
      author: body.author,
      contentHash: hash,
      embedding: vectors[0]!,
      embeddingModel: ctx.embedder.model,
    });
    reply.header('location', `/quotes/${quote.id}`);
    return reply.code(created ? 201 : 200).send({ ...quote, duplicate: !created });
  });
}

function authorize(request: FastifyRequest, token: string | undefined): void {
  if (!token) throw new HttpError(403, 'writes_disabled', 'POST /quotes is disabled: set API_TOKEN on the server to enable it');
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new HttpError(401, 'unauthorized', 'send the API token as "Authorization: Bearer <API_TOKEN>"');
  // Compare digests so the comparison takes the same time whatever the length.
  const given = createHash('sha256').update(match[1]!).digest();
  const wanted = createHash('sha256').update(token).digest();
  if (!timingSafeEqual(given, wanted)) throw new HttpError(401, 'unauthorized', 'the bearer token is not valid');
}
