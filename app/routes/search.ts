import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PreparedSearch } from '../quotes/search-service.js';
import type { AppContext } from './context.js';
import { UrlMemo } from './url-memo.js';
import { intParam, parseQuery, text } from './validation.js';

export const MAX_QUERY_LENGTH = 500;

const searchQuery = z.object({
  // Punctuation alone (q=!!!) has nothing to match on: a clear 400, not arbitrary results.
  q: text('q', MAX_QUERY_LENGTH).refine((q) => /[\p{L}\p{N}]/u.test(q), {
    message: 'q has no words to search for: give at least one letter or digit, e.g. q=courage',
  }),
  limit: intParam('limit', 1, 50, 10),
  author: text('author', 200).optional(),
});

export function registerSearchRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Validation and cache keys are pure in the URL: a repeated URL (every cache hit) skips both.
  const prepared = new UrlMemo<PreparedSearch>();
  // Not async: a cache hit is answered without a promise for fastify to wait on (and a bad
  // query throws synchronously, which fastify answers through the error handler like any other).
  app.get('/quotes/search', (request, reply) => {
    const url = request.url;
    const search = prepared.get(url) ?? prepared.remember(url, ctx.search.prepare(parseQuery(searchQuery, request.query)));
    const cached = ctx.search.cachedJson(search);
    if (cached !== undefined) {
      reply.type('application/json; charset=utf-8').send(cached);
      return;
    }
    // The response closing before it was sent means the client has gone: its search is dropped.
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    // Already JSON: skip re-serialisation on the hot path.
    ctx.search.searchJson(search, gone.signal).then(
      (json) => reply.type('application/json; charset=utf-8').send(json),
      (error: unknown) => reply.send(error),
    );
  });
}
