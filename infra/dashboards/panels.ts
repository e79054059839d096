import { ReduceDataOptionsBuilder, type DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { DatasourceVariableBuilder, QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS_DATASOURCE_UID } from '../monitoring/names.js';

/**
 * Shared building blocks for the dashboards. Every panel reads the `datasource` variable (so
 * the same JSON works with our provisioned Prometheus and with kube-prometheus-stack's) and
 * filters on `namespace="$namespace"` (one environment at a time).
 */

export const DATASOURCE: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend: string;
}

export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .current({ selected: true, text: 'Prometheus', value: PROMETHEUS_DATASOURCE_UID });
}

/** `namespace` picks the environment (quotes-dev, quotes-staging, quotes-prod). */
export function namespaceVariable(metricSelector: string): QueryVariableBuilder {
  const query = `label_values(${metricSelector}, namespace)`;
  return new QueryVariableBuilder('namespace')
    .label('Environment namespace')
    .datasource(DATASOURCE)
    .query({ query, refId: 'namespace' })
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

function target(query: Query, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(DATASOURCE).expr(query.expr).legendFormat(query.legend).refId(refId);
}

const REF_IDS = 'ABCDEFGHIJ';

export function timeseries(title: string, description: string, unit: string, queries: Query[], span = 12): TimeseriesPanelBuilder {
  const panel = new TimeseriesPanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DATASOURCE)
    .span(span)
    .height(8)
    .fillOpacity(10);
  queries.forEach((query, index) => panel.withTarget(target(query, REF_IDS[index])));
  return panel;
}

export function stat(title: string, description: string, unit: string, query: Query, span = 6): StatPanelBuilder {
  return new StatPanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DATASOURCE)
    .span(span)
    .height(4)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .withTarget(target(query, 'A'));
}
