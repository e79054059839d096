/**
 * Which `route` label values of the HTTP metrics are users' requests. The label is the fastify
 * route template (`/quotes/:id`), or `unmatched` for a path no route serves (a user's typo is
 * still a user's request). Everything else the service answers is operational: the kubelet's
 * probes, Prometheus's scrapes, and the search page's static files (served once per visit and
 * cached, so they would drown the API's latency in microsecond answers).
 *
 * A contract with the canary analysis (bin/canary), which judges user requests only; a test
 * lists every route the server registers and checks that each one is classified here.
 */
export const PROBE_ROUTES = ['/healthz', '/readyz'] as const;
export const METRICS_ROUTE = '/metrics';
/** The search page: its HTML and the two files it loads (app/routes/page.ts). */
export const PAGE_ASSET_ROUTES = ['/', '/page/app.js', '/page/style.css'] as const;

/** Route label values that are not user traffic. */
export const NON_USER_ROUTES: readonly string[] = [...PROBE_ROUTES, METRICS_ROUTE, ...PAGE_ASSET_ROUTES];

export const isUserRoute = (route: string): boolean => !NON_USER_ROUTES.includes(route);
