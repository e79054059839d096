import { DashboardBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { POSTGRES_EXPORTER_NAME } from '../monitoring/names.js';
import { datasourceVariable, namespaceVariable, stat, timeseries } from './panels.js';

const sel = `app="${POSTGRES_EXPORTER_NAME}",namespace="$namespace"`;
// Per-database series without Postgres' template databases.
const db = `${sel},datname!~"template.*"`;
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

/** Postgres, from postgres_exporter. */
export function buildPostgresDashboard(): Dashboard {
  return new DashboardBuilder('Quotes Postgres')
    .uid('qctl-postgres')
    .tags(['qctl', 'quotes', 'postgres'])
    .description('Postgres behind the quote API, from postgres_exporter.')
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable())
    .withVariable(namespaceVariable(`pg_up{app="${POSTGRES_EXPORTER_NAME}"}`))
    .withRow(new RowBuilder('Health'))
    .withPanel(stat('Up', '1 when postgres_exporter can connect.', 'none', { expr: `min(pg_up{${sel}})`, legend: 'up' }))
    .withPanel(
      stat('Connections used', 'Backends over max_connections.', 'percentunit', {
        expr: `sum(pg_stat_database_numbackends{${sel}}) / max(pg_settings_max_connections{${sel}})`,
        legend: 'used',
      }),
    )
    .withPanel(
      stat('Database size', 'All non-template databases.', 'bytes', { expr: `sum(pg_database_size_bytes{${db}})`, legend: 'size' }),
    )
    .withPanel(
      stat('Deadlocks (1 h)', 'Deadlocks detected in the last hour.', 'none', {
        expr: `sum(increase(pg_stat_database_deadlocks{${db}}[1h]))`,
        legend: 'deadlocks',
      }),
    )
    .withRow(new RowBuilder('Activity'))
    .withPanel(
      timeseries('Transactions', 'Commits and rollbacks per second.', 'ops', [
        { expr: `sum by (datname) (${rate(`pg_stat_database_xact_commit{${db}}`)})`, legend: 'commit {{datname}}' },
        { expr: `sum by (datname) (${rate(`pg_stat_database_xact_rollback{${db}}`)})`, legend: 'rollback {{datname}}' },
      ]),
    )
    .withPanel(
      timeseries(
        'Buffer cache hit ratio',
        'Blocks found in shared buffers; below ~0.99 the working set no longer fits in memory.',
        'percentunit',
        [
          {
            expr: `sum by (datname) (${rate(`pg_stat_database_blks_hit{${db}}`)}) / (sum by (datname) (${rate(`pg_stat_database_blks_hit{${db}}`)}) + sum by (datname) (${rate(`pg_stat_database_blks_read{${db}}`)}))`,
            legend: '{{datname}}',
          },
        ],
      ),
    )
    .withPanel(
      timeseries('Rows', 'Rows fetched, inserted, updated and deleted per second.', 'rowsps', [
        { expr: `sum(${rate(`pg_stat_database_tup_fetched{${db}}`)})`, legend: 'fetched' },
        { expr: `sum(${rate(`pg_stat_database_tup_inserted{${db}}`)})`, legend: 'inserted' },
        { expr: `sum(${rate(`pg_stat_database_tup_updated{${db}}`)})`, legend: 'updated' },
        { expr: `sum(${rate(`pg_stat_database_tup_deleted{${db}}`)})`, legend: 'deleted' },
      ]),
    )
    .withPanel(
      timeseries('Connections by state', 'From pg_stat_activity.', 'none', [
        { expr: `sum by (state) (pg_stat_activity_count{${db}})`, legend: '{{state}}' },
      ]),
    )
    .withPanel(
      timeseries('Locks by mode', 'Locks held, by mode.', 'none', [{ expr: `sum by (mode) (pg_locks_count{${db}})`, legend: '{{mode}}' }]),
    )
    .withPanel(
      timeseries('Temporary files', 'Bytes written to temp files per second (work_mem too small?).', 'Bps', [
        { expr: `sum(${rate(`pg_stat_database_temp_bytes{${db}}`)})`, legend: 'temp bytes' },
      ]),
    )
    .build();
}
