import { describe, expect, it } from 'vitest';
import { buildDashboards, dashboardJson, dashboardQueries } from '../../infra/dashboards/index.js';

type Json = Record<string, any>;

describe('dashboards as code', () => {
  const files = buildDashboards();

  it.each(files.map((file) => [file.fileName, file] as const))('%s matches its snapshot', async (fileName, file) => {
    await expect(dashboardJson(file.dashboard)).toMatchFileSnapshot(`./__snapshots__/dashboards/${fileName}`);
  });

  it('have unique uids and file names', () => {
    expect(new Set(files.map((f) => f.dashboard.uid)).size).toBe(files.length);
    expect(new Set(files.map((f) => f.fileName)).size).toBe(files.length);
  });

  it('query through the datasource variable and filter on the environment namespace', () => {
    for (const { dashboard } of files) {
      const variables = (dashboard.templating?.list ?? []).map((v) => v.name);
      expect(variables).toEqual(['datasource', 'namespace']);
      for (const panel of (dashboard.panels ?? []) as Json[]) {
        if (panel.type === 'row') continue;
        expect(panel.datasource, `${dashboard.uid} / ${panel.title}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
        const refIds = (panel.targets as Json[]).map((t) => t.refId);
        expect(new Set(refIds).size, `${dashboard.uid} / ${panel.title}`).toBe(refIds.length);
      }
      for (const query of dashboardQueries(dashboard))
        expect(query.expr, `${query.dashboard} / ${query.panel}`).toContain('namespace="$namespace"');
    }
  });

  it('the API dashboard shows RED per route, in-flight, cache, embeddings and replicas vs the HPA', () => {
    const api = files.find((f) => f.fileName === 'quote-api.json')!.dashboard;
    const exprs = dashboardQueries(api)
      .map((q) => q.expr)
      .join('\n');
    for (const needle of [
      'sum by (route, method) (rate(http_requests_total',
      'status=~"5.."',
      'histogram_quantile(0.5, sum by (route, le)',
      'histogram_quantile(0.95, sum by (route, le)',
      'histogram_quantile(0.99, sum by (route, le)',
      'sum by (version) (rate(http_requests_total',
      'histogram_quantile(0.99, sum by (version, le)',
      'http_requests_in_flight',
      'quotes_cache_operations_total{app="quote-api",namespace="$namespace",result="hit"}',
      'quotes_embedding_request_duration_seconds_bucket',
      'quotes_embedding_requests_total',
      'kube_horizontalpodautoscaler_status_desired_replicas',
      'kube_deployment_status_replicas_available',
    ]) {
      expect(exprs).toContain(needle);
    }
  });
});
