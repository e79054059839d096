import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startService, type RunningService } from '../../app/main.js';
import { buildDashboards, dashboardQueries } from '../../infra/dashboards/index.js';
import { allAlertingRules, buildAlertRules } from '../../infra/monitoring/alert-rules.js';
import { buildPrometheusConfig, type PrometheusConfig } from '../../infra/monitoring/scrape-config.js';
import { resolveMonitoringSettings } from '../../infra/monitoring/settings.js';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { exposedMetricNames, fixtureMetricNames, metricNames } from './promql-metrics.js';
import { listeningOn, podMetaLabels, startPrometheus, type PrometheusServer } from './prometheus-server.js';

/**
 * The proof with real components: a real Prometheus scrapes a real quote API through our
 * scrape job's relabelling, and every PromQL expression we ship (dashboards and alerts) is
 * evaluated by that Prometheus. Debian's Prometheus has no Kubernetes discovery, so the job's
 * targets are static, carrying the same __meta_kubernetes_* labels the pod role would give a
 * quote-api pod of the synthesized Deployment; the relabel rules are the synthesized ones.
 */

const NAMESPACE = 'quotes-dev';
const POD = 'quote-api-6f7c9d-x2x9k';

let database: EmbeddedPostgres;
let api: RunningService;
let prometheus: PrometheusServer;
let exposition = '';

function apiPodTemplate(objects: KubeObject[]) {
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'quote-api') as unknown as {
    spec: { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } } };
  };
  return deployment.spec.template;
}

/** Grafana's template variables, as Grafana would substitute them before sending the query. */
function substituteGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$namespace', NAMESPACE);
}

beforeAll(async () => {
  database = await startTestPostgres();
  api = await startService(
    loadConfig({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', APP_VERSION: 'git-3f2a1bc' }),
    {
      migrate: true,
    },
  );
  await api.databaseReady;
  // Traffic on the search route (and one miss) so the series exist before the first scrape.
  for (const q of ['courage', 'patience', 'time']) expect((await fetch(`${api.url}/quotes/search?q=${q}`)).status).toBe(200);
  expect((await fetch(`${api.url}/quotes/999999`)).status).toBe(404);
  exposition = await (await fetch(`${api.url}/metrics`)).text();

  const synth = await synthesize({ env: 'dev', config: false });
  const template = apiPodTemplate(synth.objects);
  // The port Kubernetes would put in the annotation is 8080; here the API listens on a free port.
  const running = listeningOn(template, api.port);
  const settings = resolveMonitoringSettings({ env: 'dev', cluster: synth.cluster });
  const synthesized = buildPrometheusConfig(settings, synth.cluster);
  const podsJob = synthesized.scrape_configs.find((job) => job.job_name === 'kubernetes-pods')!;
  const config: PrometheusConfig = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: ['rules.yaml'],
    scrape_configs: [
      {
        job_name: podsJob.job_name,
        relabel_configs: podsJob.relabel_configs,
        static_configs: [
          { targets: [`127.0.0.1:${api.port}`], labels: podMetaLabels(running, { namespace: NAMESPACE, pod: POD }) },
          // Same pod without the scrape annotation, and a finished Job pod: both must be dropped.
          {
            targets: [`127.0.0.1:${api.port}`],
            labels: podMetaLabels(
              { metadata: { labels: template.metadata.labels } },
              { namespace: NAMESPACE, pod: 'quote-api-unannotated' },
            ),
          },
          {
            targets: [`127.0.0.1:${api.port}`],
            labels: podMetaLabels(running, { namespace: NAMESPACE, pod: 'quote-api-migrate-abc12', phase: 'Succeeded' }),
          },
        ],
      },
    ],
  };
  prometheus = await startPrometheus({
    config,
    ruleFiles: { 'rules.yaml': buildAlertRules(settings.alerts) },
    retention: settings.retention,
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await api?.stop();
  await database?.stop();
});

describe('real Prometheus scraping the real quote API through our relabelling', () => {
  it('stores http_requests_total for the search route with namespace, pod and app labels', async () => {
    let series: Array<{ metric: Record<string, string> }> = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const answer = await prometheus.query('http_requests_total{route="/quotes/search"}');
      expect(answer.status).toBe('success');
      series = answer.data?.result ?? [];
      if (series.length > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(series).toHaveLength(1);
    expect(series[0].metric).toEqual({
      __name__: 'http_requests_total',
      job: 'kubernetes-pods',
      instance: `127.0.0.1:${api.port}`,
      namespace: NAMESPACE,
      pod: POD,
      app: 'quote-api',
      component: 'api',
      env: 'dev',
      method: 'GET',
      route: '/quotes/search',
      status: '200',
      // What a canary analysis selects stable and canary series by.
      version: 'git-3f2a1bc',
    });
  });

  it('keeps only the annotated, running pod as a target', async () => {
    const targets = await prometheus.get('/api/v1/targets');
    const active = (targets.data?.activeTargets ?? []) as Array<{ labels: Record<string, string>; health: string }>;
    const dropped = (targets.data?.droppedTargets ?? []) as unknown[];
    expect(active.map((t) => t.labels.pod)).toEqual([POD]);
    expect(dropped).toHaveLength(2);
  });

  it('evaluates every dashboard and alert expression without error', async () => {
    const expressions = [
      ...buildDashboards()
        .flatMap((file) => dashboardQueries(file.dashboard))
        .map((q) => ({ where: `${q.dashboard} / ${q.panel}`, expr: substituteGrafanaVariables(q.expr) })),
      ...allAlertingRules(buildAlertRules(resolveMonitoringSettings({ env: 'dev' }).alerts)).map((rule) => ({
        where: `alert ${rule.alert}`,
        expr: rule.expr,
      })),
    ];
    expect(expressions.length).toBeGreaterThan(50);
    // The check can fail: Prometheus rejects a malformed expression with status "error".
    expect((await prometheus.query('sum(rate(http_requests_total[5m])')).status).toBe('error');
    const failures: string[] = [];
    for (const { where, expr } of expressions) {
      const answer = await prometheus.query(expr);
      if (answer.status !== 'success') failures.push(`${where}: ${answer.error} in ${expr}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers the API dashboard queries with data from the scraped API', async () => {
    // rate() needs two samples in the window: poll until the second scrape has landed.
    const expr = substituteGrafanaVariables(
      'sum by (route, method) (rate(http_requests_total{app="quote-api",namespace="$namespace"}[$__rate_interval]))',
    );
    let routes: string[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !routes.includes('/quotes/search')) {
      const answer = await prometheus.query(expr);
      expect(answer.status).toBe('success');
      routes = (answer.data?.result ?? []).map((r) => r.metric.route);
      if (!routes.includes('/quotes/search')) await new Promise((r) => setTimeout(r, 250));
    }
    expect(routes).toContain('/quotes/search');
    // The Versions row: the one version this API runs answers every request.
    const share = await prometheus.query(
      substituteGrafanaVariables(
        'sum by (version) (rate(http_requests_total{app="quote-api",namespace="$namespace"}[$__rate_interval])) / scalar(sum(rate(http_requests_total{app="quote-api",namespace="$namespace"}[$__rate_interval])))',
      ),
    );
    expect((share.data?.result ?? []).map((r) => [r.metric.version, Number((r as { value?: [number, string] }).value?.[1])])).toEqual([
      ['git-3f2a1bc', 1],
    ]);
  });

  it('uses only metric names the API serves or an exporter documents', () => {
    const known = new Set([
      ...exposedMetricNames(exposition),
      ...fixtureMetricNames('postgres_exporter.txt'),
      ...fixtureMetricNames('redis_exporter.txt'),
      ...fixtureMetricNames('kube_state_metrics.txt'),
      ...fixtureMetricNames('pgbouncer_exporter.txt'),
      ...fixtureMetricNames('cnpg_pgbouncer.txt'),
      'up', // synthesized by Prometheus for every target
    ]);
    const used = new Map<string, string>();
    for (const file of buildDashboards())
      for (const q of dashboardQueries(file.dashboard))
        for (const name of metricNames(q.expr)) used.set(name, `${q.dashboard} / ${q.panel}`);
    for (const file of buildDashboards()) {
      for (const variable of file.dashboard.templating?.list ?? []) {
        const query = (variable.query as { query?: string } | undefined)?.query;
        const selector = query ? /^label_values\((.+),\s*\w+\)$/.exec(query)?.[1] : undefined;
        if (selector) for (const name of metricNames(selector)) used.set(name, `${file.dashboard.uid} / variable ${variable.name}`);
      }
    }
    for (const rule of allAlertingRules(buildAlertRules(resolveMonitoringSettings({ env: 'dev' }).alerts)))
      for (const name of metricNames(rule.expr)) used.set(name, `alert ${rule.alert}`);
    const unknown = [...used].filter(([name]) => !known.has(name)).map(([name, where]) => `${name} (${where})`);
    expect(unknown).toEqual([]);
    // The API's own contract metrics are really served, not just listed.
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'http_requests_in_flight',
      'quotes_cache_operations_total',
      'quotes_db_pool_connections',
    ]) {
      expect(known).toContain(name);
    }
  });

  it('loads every alert rule and evaluates it without error', async () => {
    const deadline = Date.now() + 20_000;
    let rules: Array<{ name: string; health: string; lastError?: string }> = [];
    while (Date.now() < deadline) {
      const answer = await prometheus.get('/api/v1/rules');
      rules = ((answer.data?.groups ?? []) as Array<{ rules: typeof rules }>).flatMap((group) => group.rules);
      if (rules.length > 0 && rules.every((rule) => rule.health === 'ok')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(rules.map((rule) => rule.name).sort()).toEqual(
      allAlertingRules(buildAlertRules(resolveMonitoringSettings({ env: 'dev' }).alerts))
        .map((r) => r.alert)
        .sort(),
    );
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
  });
});
