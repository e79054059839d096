import { describe, expect, it } from 'vitest';
import { exposedMetricNames, fixtureMetricNames, metricNames } from './promql-metrics.js';

describe('metricNames (PromQL metric-name lexer)', () => {
  it('finds metrics inside aggregations, rates and histogram_quantile, not labels or functions', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (namespace, le) (rate(http_request_duration_seconds_bucket{app="quote-api",le!="x"}[5m]))) > 0.5',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(metricNames('sum by (route) (rate(a_total{status=~"5.."}[$__rate_interval])) / sum by (route) (rate(b_total[1m]))')).toEqual([
      'a_total',
      'b_total',
    ]);
  });

  it('ignores keywords, grouping modifiers and numbers', () => {
    expect(
      metricNames('x >= on (namespace, horizontalpodautoscaler) group_left (pod) y and z offset 5m or vector(1e3) unless bool_metric'),
    ).toEqual(['bool_metric', 'x', 'y', 'z']);
  });

  it('ignores strings that look like metric names', () => {
    expect(metricNames('label_replace(up, "dst", "$1", "src", "(fake_metric)")')).toEqual(['up']);
  });
});

describe('fixture lists', () => {
  it('hold the exporter metrics our rules and dashboards rely on', () => {
    expect(fixtureMetricNames('postgres_exporter.txt')).toContain('pg_up');
    expect(fixtureMetricNames('redis_exporter.txt')).toContain('redis_up');
    expect(fixtureMetricNames('kube_state_metrics.txt')).toContain('kube_horizontalpodautoscaler_status_desired_replicas');
  });

  it('exposedMetricNames reads sample names from a text exposition', () => {
    const names = exposedMetricNames('# HELP a x\n# TYPE a counter\na_total{x="1"} 3\nb_bucket{le="+Inf"} 1\nc 2\n');
    expect([...names].sort()).toEqual(['a_total', 'b_bucket', 'c']);
  });
});
