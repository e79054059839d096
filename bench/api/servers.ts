// Child process for bench/api.ts: the quote API and, beside it, a bare fastify route that
// returns a constant JSON. Same process, same Node flags, same logger level: the baseline
// differs from the API only by what the API does per request.
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../app/config.js';
import { startService } from '../../app/main.js';
import { createLogger } from '../../app/observability/logger.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel);
const service = await startService(config, { log });
await service.databaseReady;

const bare = Fastify({ loggerInstance: log as FastifyBaseLogger });
bare.get('/bare', async () => ({ status: 'ok', service: 'bare' }));
// The same yardstick answering the very bytes the API answers for one search (BARE_BODY_QUERY),
// so that a ratio can also be read without the difference in response size.
const bodyQuery = process.env.BARE_BODY_QUERY;
if (bodyQuery) {
  const body = await (await fetch(`${service.url}/quotes/search?q=${encodeURIComponent(bodyQuery)}`)).text();
  bare.get('/bare-body', (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
await bare.listen({ port: Number(process.env.BARE_PORT ?? 0), host: '127.0.0.1' });
const address = bare.server.address();
const barePort = typeof address === 'object' && address ? address.port : 0;

process.stdout.write(`${JSON.stringify({ api: service.url, bare: `http://127.0.0.1:${barePort}` })}\n`);
const stop = () => void Promise.allSettled([service.stop(), bare.close()]).finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
