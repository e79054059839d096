import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from './context.js';
import { intParam, parseQuery, text } from './validation.js';

export const MAX_QUERY_LENGTH = 500;

const searchQuery = z.object({
  q: text('q', MAX_QUERY_LENGTH),
  limit: intParam('limit', 1, 50, 10),
  author: text('author', 200).optional(),
});

export function registerSearchRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/quotes/search', async (request, reply) => {
    const query = parseQuery(searchQuery, request.query);
    const json = await ctx.search.searchJson(query);
    // Already JSON: skip re-serialisation on the hot path.
    return reply.type('application/json; charset=utf-8').send(json);
  });
}
