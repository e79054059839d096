import { DashboardBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { REDIS_EXPORTER_NAME } from '../monitoring/names.js';
import { datasourceVariable, namespaceVariable, stat, timeseries } from './panels.js';

const sel = `app="${REDIS_EXPORTER_NAME}",namespace="$namespace"`;
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

/** Redis (the API's cache), from redis_exporter. */
export function buildRedisDashboard(): Dashboard {
  return new DashboardBuilder('Quotes Redis')
    .uid('qctl-redis')
    .tags(['qctl', 'quotes', 'redis'])
    .description('Redis, the quote API cache, from redis_exporter.')
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable())
    .withVariable(namespaceVariable(`redis_up{app="${REDIS_EXPORTER_NAME}"}`))
    .withRow(new RowBuilder('Health'))
    .withPanel(stat('Up', '1 when redis_exporter can reach Redis.', 'none', { expr: `min(redis_up{${sel}})`, legend: 'up' }))
    .withPanel(stat('Uptime', 'Seconds since Redis started.', 's', { expr: `max(redis_uptime_in_seconds{${sel}})`, legend: 'uptime' }))
    .withPanel(stat('Clients', 'Connected clients.', 'none', { expr: `sum(redis_connected_clients{${sel}})`, legend: 'clients' }))
    .withPanel(stat('Keys', 'Keys in all databases.', 'none', { expr: `sum(redis_db_keys{${sel}})`, legend: 'keys' }))
    .withRow(new RowBuilder('Cache behaviour'))
    .withPanel(
      timeseries('Keyspace hit ratio', 'Hits / (hits + misses) as Redis sees them.', 'percentunit', [
        {
          expr: `sum(${rate(`redis_keyspace_hits_total{${sel}}`)}) / (sum(${rate(`redis_keyspace_hits_total{${sel}}`)}) + sum(${rate(`redis_keyspace_misses_total{${sel}}`)}))`,
          legend: 'hit ratio',
        },
      ]),
    )
    .withPanel(
      timeseries('Commands', 'Commands processed per second.', 'ops', [
        { expr: `sum(${rate(`redis_commands_processed_total{${sel}}`)})`, legend: 'commands' },
      ]),
    )
    .withPanel(
      timeseries('Memory', 'Used memory against maxmemory (0 = no limit).', 'bytes', [
        { expr: `sum(redis_memory_used_bytes{${sel}})`, legend: 'used' },
        { expr: `sum(redis_memory_max_bytes{${sel}})`, legend: 'max' },
      ]),
    )
    .withPanel(
      timeseries('Expired and evicted keys', 'Evictions mean maxmemory is too small for the cache TTLs.', 'ops', [
        { expr: `sum(${rate(`redis_expired_keys_total{${sel}}`)})`, legend: 'expired' },
        { expr: `sum(${rate(`redis_evicted_keys_total{${sel}}`)})`, legend: 'evicted' },
      ]),
    )
    .withPanel(
      timeseries('Network', 'Bytes in and out per second.', 'Bps', [
        { expr: `sum(${rate(`redis_net_input_bytes_total{${sel}}`)})`, legend: 'in' },
        { expr: `sum(${rate(`redis_net_output_bytes_total{${sel}}`)})`, legend: 'out' },
      ]),
    )
    .withPanel(
      timeseries('AOF', 'Last AOF write status (1 = ok) and rewrites in progress.', 'none', [
        { expr: `min(redis_aof_last_write_status{${sel}})`, legend: 'last write ok' },
        { expr: `max(redis_aof_rewrite_in_progress{${sel}})`, legend: 'rewrite in progress' },
      ]),
    )
    .build();
}
