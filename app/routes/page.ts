import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { appAsset } from '../assets.js';

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/page/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/page/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

// The page only talks to this origin; inline scripts and styles are not needed.
const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The search page: three static files, read once at start-up. */
export function registerPageRoutes(app: FastifyInstance): void {
  for (const [url, asset] of Object.entries(ASSETS)) {
    const body = readFileSync(appAsset('page', asset.file));
    app.get(url, async (_request, reply) =>
      reply
        .type(asset.type)
        .header('cache-control', 'public, max-age=300')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .send(body),
    );
  }
}
