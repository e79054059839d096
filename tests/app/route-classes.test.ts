import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../../app/main.js';
import { isUserRoute, NON_USER_ROUTES } from '../../app/observability/routes.js';
import { freePort } from '../helpers/ports.js';
import { testConfig } from './support.js';

/**
 * The canary analysis judges user requests only, by the `route` label (app/observability/routes.ts).
 * Every route the server registers is either a user route or one of the listed operational ones,
 * and each listed one exists: a renamed probe or a new static file cannot slip into the verdict.
 */
let service: RunningService;
beforeAll(async () => {
  // No database needed to list routes: the service listens and retries the database in the background.
  service = await startService(testConfig(`postgres://postgres:postgres@127.0.0.1:${await freePort()}/postgres`));
});
afterAll(async () => {
  await service?.stop();
});

/** The route templates of fastify's route tree (`printRoutes`), one per line, children indented under their parents. */
function registeredRoutes(tree: string): string[] {
  const paths: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([\s│├└─]*)(\S+) \(/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length;
    while (stack.length && stack.at(-1)!.depth >= depth) stack.pop();
    const parent = stack.at(-1)?.path ?? '';
    const path = parent === '/' ? `/${match[2]!}` : `${parent}${match[2]!}`;
    stack.push({ depth, path });
    paths.push(path);
  }
  return paths;
}

describe('route classes', () => {
  it('lists every operational route the server serves, and counts the rest as user routes', () => {
    const routes = registeredRoutes(service.app.printRoutes({ commonPrefix: false }));
    expect(routes).toEqual(expect.arrayContaining(['/quotes', '/quotes/search', '/quotes/:id', '/authors', '/healthz']));
    for (const route of NON_USER_ROUTES) expect(routes, route).toContain(route);
    expect(routes.filter(isUserRoute).sort()).toEqual(['/authors', '/quotes', '/quotes/:id', '/quotes/search']);
    // A path no route serves is labelled `unmatched`: a user's request too.
    expect(isUserRoute('unmatched')).toBe(true);
  });
});
