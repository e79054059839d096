import { DashboardBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { API_NAME } from '../monitoring/names.js';
import { datasourceVariable, namespaceVariable, stat, timeseries } from './panels.js';

const sel = `app="${API_NAME}",namespace="$namespace"`;
const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;
const latency = (quantile: number, metric: string, by: string) =>
  `histogram_quantile(${quantile}, sum by (${by}, le) (${rate(`${metric}{${sel}}`)}))`;

/** The quote API: RED per route, in-flight, cache, embeddings, and replicas against the HPA. */
export function buildApiDashboard(): Dashboard {
  return new DashboardBuilder('Quote API')
    .uid('qctl-quote-api')
    .tags(['qctl', 'quotes'])
    .description('Rate, errors and duration per route; cache and embeddings; replicas vs the autoscaler.')
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(datasourceVariable())
    .withVariable(namespaceVariable(`http_requests_total{app="${API_NAME}"}`))
    .withRow(new RowBuilder('Overview'))
    .withPanel(stat('Requests / s', 'All routes.', 'reqps', { expr: `sum(${rate(`http_requests_total{${sel}}`)})`, legend: 'requests' }))
    .withPanel(
      stat('5xx ratio', 'Share of requests answered 5xx.', 'percentunit', {
        expr: `sum(${rate(`http_requests_total{${sel},status=~"5.."}`)}) / sum(${rate(`http_requests_total{${sel}}`)})`,
        legend: '5xx',
      }),
    )
    .withPanel(
      stat('p99 latency', 'All routes.', 's', {
        expr: `histogram_quantile(0.99, sum by (le) (${rate(`http_request_duration_seconds_bucket{${sel}}`)}))`,
        legend: 'p99',
      }),
    )
    .withPanel(
      stat('API pods up', 'API pods Prometheus scrapes successfully (see Replicas vs autoscaler for readiness).', 'none', {
        expr: `sum(up{${sel}})`,
        legend: 'pods',
      }),
    )
    .withRow(new RowBuilder('Requests per route (RED)'))
    .withPanel(
      timeseries('Request rate by route', 'Requests per second, by route template and method.', 'reqps', [
        { expr: `sum by (route, method) (${rate(`http_requests_total{${sel}}`)})`, legend: '{{method}} {{route}}' },
      ]),
    )
    .withPanel(
      timeseries('Error ratio by route', 'Share of requests answered 4xx and 5xx, by route.', 'percentunit', [
        {
          expr: `sum by (route) (${rate(`http_requests_total{${sel},status=~"5.."}`)}) / sum by (route) (${rate(`http_requests_total{${sel}}`)})`,
          legend: '5xx {{route}}',
        },
        {
          expr: `sum by (route) (${rate(`http_requests_total{${sel},status=~"4.."}`)}) / sum by (route) (${rate(`http_requests_total{${sel}}`)})`,
          legend: '4xx {{route}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Latency by route (p50 / p95 / p99)', 'From the http_request_duration_seconds histogram.', 's', [
        { expr: latency(0.5, 'http_request_duration_seconds_bucket', 'route'), legend: 'p50 {{route}}' },
        { expr: latency(0.95, 'http_request_duration_seconds_bucket', 'route'), legend: 'p95 {{route}}' },
        { expr: latency(0.99, 'http_request_duration_seconds_bucket', 'route'), legend: 'p99 {{route}}' },
      ]),
    )
    .withPanel(
      timeseries('Requests in flight', 'Concurrent requests per pod.', 'none', [
        { expr: `sum by (pod) (http_requests_in_flight{${sel}})`, legend: '{{pod}}' },
      ]),
    )
    .withRow(new RowBuilder('Versions (canary)'))
    .withPanel(
      timeseries(
        'Request share by version',
        'Share of requests each version (APP_VERSION, the image tag) answers: the canary split as served.',
        'percentunit',
        [
          {
            expr: `sum by (version) (${rate(`http_requests_total{${sel}}`)}) / scalar(sum(${rate(`http_requests_total{${sel}}`)}))`,
            legend: '{{version}}',
          },
        ],
      ),
    )
    .withPanel(
      timeseries('5xx ratio and p99 by version', 'What a canary analysis compares, stable against canary.', 'none', [
        {
          expr: `sum by (version) (${rate(`http_requests_total{${sel},status=~"5.."}`)}) / sum by (version) (${rate(`http_requests_total{${sel}}`)})`,
          legend: '5xx ratio {{version}}',
        },
        { expr: latency(0.99, 'http_request_duration_seconds_bucket', 'version'), legend: 'p99 s {{version}}' },
      ]),
    )
    .withRow(new RowBuilder('Cache and embeddings'))
    .withPanel(
      timeseries('Cache hit ratio', 'Hits / (hits + misses) per cache (search results, embeddings).', 'percentunit', [
        {
          expr: `sum by (cache) (${rate(`quotes_cache_operations_total{${sel},result="hit"}`)}) / sum by (cache) (${rate(`quotes_cache_operations_total{${sel},result=~"hit|miss"}`)})`,
          legend: '{{cache}}',
        },
      ]),
    )
    .withPanel(
      timeseries('Cache errors', 'Cache operations that failed (Redis unreachable); the API keeps serving.', 'ops', [
        { expr: `sum by (cache) (${rate(`quotes_cache_operations_total{${sel},result="error"}`)})`, legend: '{{cache}}' },
      ]),
    )
    .withPanel(
      timeseries('Embedding latency', 'Per provider, from quotes_embedding_request_duration_seconds.', 's', [
        { expr: latency(0.5, 'quotes_embedding_request_duration_seconds_bucket', 'provider'), legend: 'p50 {{provider}}' },
        { expr: latency(0.99, 'quotes_embedding_request_duration_seconds_bucket', 'provider'), legend: 'p99 {{provider}}' },
      ]),
    )
    .withPanel(
      timeseries('Embedding requests by outcome', 'Successes and errors per provider.', 'reqps', [
        { expr: `sum by (provider, outcome) (${rate(`quotes_embedding_requests_total{${sel}}`)})`, legend: '{{provider}} {{outcome}}' },
      ]),
    )
    .withRow(new RowBuilder('Capacity'))
    .withPanel(
      timeseries('Replicas vs autoscaler', 'Available replicas, what the HPA wants, and its bounds (kube-state-metrics).', 'none', [
        { expr: `kube_deployment_status_replicas_available{namespace="$namespace",deployment="${API_NAME}"}`, legend: 'available' },
        {
          expr: `kube_horizontalpodautoscaler_status_desired_replicas{namespace="$namespace",horizontalpodautoscaler="${API_NAME}"}`,
          legend: 'HPA desired',
        },
        {
          expr: `kube_horizontalpodautoscaler_spec_max_replicas{namespace="$namespace",horizontalpodautoscaler="${API_NAME}"}`,
          legend: 'HPA max',
        },
        {
          expr: `kube_horizontalpodautoscaler_spec_min_replicas{namespace="$namespace",horizontalpodautoscaler="${API_NAME}"}`,
          legend: 'HPA min',
        },
      ]),
    )
    .withPanel(
      timeseries('Database pool', 'Postgres pool connections by state; waiting > 0 means the pool is the bottleneck.', 'none', [
        { expr: `sum by (state) (quotes_db_pool_connections{${sel}})`, legend: '{{state}}' },
      ]),
    )
    .withPanel(
      timeseries('CPU per pod', 'Process CPU seconds per second.', 'percentunit', [
        { expr: `sum by (pod) (${rate(`process_cpu_seconds_total{${sel}}`)})`, legend: '{{pod}}' },
      ]),
    )
    .withPanel(
      timeseries('Memory per pod', 'Resident set size.', 'bytes', [
        { expr: `sum by (pod) (process_resident_memory_bytes{${sel}})`, legend: '{{pod}}' },
      ]),
    )
    .build();
}
