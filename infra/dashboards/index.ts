import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildApiDashboard } from './api-dashboard.js';
import { buildPgbouncerDashboard } from './pgbouncer-dashboard.js';
import { buildPostgresDashboard } from './postgres-dashboard.js';
import { buildRedisDashboard } from './redis-dashboard.js';

export interface DashboardFile {
  /** File name in the Grafana dashboards ConfigMap (also the provisioning file name). */
  fileName: string;
  dashboard: Dashboard;
}

/** Every dashboard we ship, built from code with @grafana/grafana-foundation-sdk. */
export function buildDashboards(): DashboardFile[] {
  return [
    { fileName: 'quote-api.json', dashboard: buildApiDashboard() },
    { fileName: 'postgres.json', dashboard: buildPostgresDashboard() },
    { fileName: 'pgbouncer.json', dashboard: buildPgbouncerDashboard() },
    { fileName: 'redis.json', dashboard: buildRedisDashboard() },
  ];
}

/** The dashboard as Grafana reads it from a file: stable key order, two-space indent. */
export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

/** Every PromQL expression in every panel and templating query (for the proof against Prometheus). */
export function dashboardQueries(dashboard: Dashboard): PanelQuery[] {
  const queries: PanelQuery[] = [];
  for (const panel of dashboard.panels ?? []) {
    if (!('targets' in panel) || !panel.targets) continue;
    for (const target of panel.targets) {
      const expr = (target as { expr?: unknown }).expr;
      if (typeof expr === 'string') queries.push({ dashboard: dashboard.uid ?? dashboard.title ?? '', panel: panel.title ?? '', expr });
    }
  }
  return queries;
}
