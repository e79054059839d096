import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from './context.js';
import { parseQuery } from './validation.js';

export function registerAuthorRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/authors', async (request) => {
    parseQuery(z.object({}), request.query);
    return ctx.repository.authors();
  });
}
