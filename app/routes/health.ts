import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  // Liveness: the event loop answers. Never depends on Postgres or Redis (a restart would not fix them).
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const report = await ctx.readiness.check();
    if (report.ready) return reply.code(200).send({ status: 'ready', ...report });
    return reply.code(503).send({ error: 'not_ready', message: report.reason, ...report });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
}
