import { DashboardBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { CNPG_POOLER_NAME, PGBOUNCER_NAME } from '../charts/database.js';
import { datasourceVariable, namespaceVariable, stat, timeseries } from './panels.js';

// Our PgBouncer's sidecar (prometheus-community pgbouncer_exporter) and CloudNativePG's Pooler
// (its built-in exporter) name the same SHOW POOLS / SHOW STATS columns differently: each
// panel asks for both, and the pooler that runs answers. The admin console's own pool is left out.
const ours = `app="${PGBOUNCER_NAME}",namespace="$namespace",database!="pgbouncer"`;
const cnpg = `app="${CNPG_POOLER_NAME}",namespace="$namespace",database!="pgbouncer"`;
const either = (community: string, operator: string, aggregate = 'sum') =>
  `${aggregate}(${community}{${ours}}) or ${aggregate}(${operator}{${cnpg}})`;
const rate = (name: string, selector: string) => `rate(${name}{${selector}}[$__rate_interval])`;

/** The connection pooler between the API and Postgres (`postgres.pooler: pgbouncer`). */
export function buildPgbouncerDashboard(): Dashboard {
  return new DashboardBuilder('Quotes PgBouncer')
    .uid('qctl-pgbouncer')
    .tags(['qctl', 'quotes', 'postgres', 'pgbouncer'])
    .description('The PgBouncer pooler in front of Postgres: client queue, server pool, transactions.')
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable())
    .withVariable(namespaceVariable(`up{app=~"${PGBOUNCER_NAME}|${CNPG_POOLER_NAME}"}`))
    .withRow(new RowBuilder('Saturation'))
    .withPanel(
      stat(
        'Clients waiting',
        'Clients with a query and no server connection yet: above 0 for long, the server pool is too small.',
        'none',
        {
          expr: either('pgbouncer_pools_client_waiting_connections', 'cnpg_pgbouncer_pools_cl_waiting'),
          legend: 'waiting',
        },
      ),
    )
    .withPanel(
      stat('Longest wait', 'Age of the oldest unserved client.', 's', {
        expr: either('pgbouncer_pools_client_maxwait_seconds', 'cnpg_pgbouncer_pools_maxwait', 'max'),
        legend: 'max wait',
      }),
    )
    .withPanel(
      stat('Server connections', 'Connections the pooler holds to Postgres: what the connection budget counts.', 'none', {
        expr: `${either('pgbouncer_pools_server_active_connections', 'cnpg_pgbouncer_pools_sv_active')} + ${either('pgbouncer_pools_server_idle_connections', 'cnpg_pgbouncer_pools_sv_idle')}`,
        legend: 'server',
      }),
    )
    .withPanel(
      stat('Clients active', 'Clients linked to a server connection right now.', 'none', {
        expr: either('pgbouncer_pools_client_active_connections', 'cnpg_pgbouncer_pools_cl_active'),
        legend: 'active',
      }),
    )
    .withRow(new RowBuilder('Pools'))
    .withPanel(
      timeseries('Clients', 'Active and waiting client connections.', 'none', [
        { expr: either('pgbouncer_pools_client_active_connections', 'cnpg_pgbouncer_pools_cl_active'), legend: 'active' },
        { expr: either('pgbouncer_pools_client_waiting_connections', 'cnpg_pgbouncer_pools_cl_waiting'), legend: 'waiting' },
      ]),
    )
    .withPanel(
      timeseries('Server connections', 'Active (linked to a client) and idle server connections.', 'none', [
        { expr: either('pgbouncer_pools_server_active_connections', 'cnpg_pgbouncer_pools_sv_active'), legend: 'active' },
        { expr: either('pgbouncer_pools_server_idle_connections', 'cnpg_pgbouncer_pools_sv_idle'), legend: 'idle' },
      ]),
    )
    .withPanel(
      timeseries('Transactions and queries', 'Pooled per second.', 'ops', [
        {
          expr: `sum(${rate('pgbouncer_stats_sql_transactions_pooled_total', ours)}) or sum(${rate('cnpg_pgbouncer_stats_total_xact_count', cnpg)})`,
          legend: 'transactions',
        },
        {
          expr: `sum(${rate('pgbouncer_stats_queries_pooled_total', ours)}) or sum(${rate('cnpg_pgbouncer_stats_total_query_count', cnpg)})`,
          legend: 'queries',
        },
      ]),
    )
    .build();
}
