import { describe, expect, it } from 'vitest';
import { buildExporters } from '../../../infra/monitoring/exporters.js';
import { buildGrafana } from '../../../infra/monitoring/grafana.js';
import { buildMonitoringNamespace, resolveMonitoringSettings } from '../../../infra/monitoring/index.js';
import { buildKubeStateMetrics } from '../../../infra/monitoring/kube-state-metrics.js';
import { buildOperatorResources } from '../../../infra/monitoring/operator.js';
import { buildPrometheus } from '../../../infra/monitoring/prometheus.js';
import { only, PROPS, synthChart } from './synth-chart.js';

const settings = resolveMonitoringSettings({ env: 'dev' });
const names = (objects: Array<{ kind: string; metadata: { name: string } }>) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('monitoring builders', () => {
  it('buildMonitoringNamespace: monitoring-<env> by default, deny-all policy, both early phases', () => {
    const [[namespace], [deny]] = synthChart(
      (scope) => buildMonitoringNamespace(scope, PROPS),
      '60-monitoring-namespace.yaml',
      '67-monitoring-network-policies.yaml',
    ) as [[any], [any]];
    expect(namespace.metadata).toMatchObject({ name: 'monitoring-dev', annotations: { 'qctl.dev/phase': 'namespaces' } });
    expect(deny.metadata).toMatchObject({ name: 'default-deny', namespace: 'monitoring-dev', annotations: { 'qctl.dev/phase': 'config' } });
    const [[other]] = synthChart(
      (scope) => buildMonitoringNamespace(scope, { ...PROPS, monitoringNamespace: 'obs' }),
      '60-monitoring-namespace.yaml',
    ) as [[any]];
    expect(other.metadata.name).toBe('obs');
  });

  it('buildExporters: both exporters next to the in-cluster databases by default; external database over TLS, no Redis', () => {
    const [objects] = synthChart((scope) => buildExporters(scope, { ...PROPS, scrapedFrom: ['monitoring-dev'] }), '63-exporters.yaml');
    expect(names(objects!).filter((n) => n.startsWith('Deployment/'))).toEqual([
      'Deployment/postgres-exporter',
      'Deployment/redis-exporter',
    ]);
    const uri = only(objects!, 'Deployment', 'postgres-exporter').spec.template.spec.containers[0].env[0];
    expect(uri).toEqual({ name: 'DATA_SOURCE_URI', value: 'postgres:5432/quotes?sslmode=disable' });
    expect(only(objects!, 'Deployment', 'postgres-exporter').metadata.annotations).toEqual({ 'qctl.dev/phase': 'monitoring' });

    const [external] = synthChart(
      (scope) =>
        buildExporters(scope, { ...PROPS, scrapedFrom: ['obs'], postgresExternalHost: 'db.example.com', postgresPort: 6432, redis: false }),
      '63-exporters.yaml',
    );
    expect(names(external!).filter((n) => n.startsWith('Deployment/'))).toEqual(['Deployment/postgres-exporter']);
    expect(only(external!, 'Deployment').spec.template.spec.containers[0].env[0].value).toBe('db.example.com:6432/quotes?sslmode=require');
    expect(names(external!)).not.toContain('NetworkPolicy/postgres-from-postgres-exporter');
  });

  it('buildPrometheus: RBAC, config, TSDB claim and Deployment from its props', () => {
    const [rbac, config, main] = synthChart(
      (scope) => buildPrometheus(scope, { ...PROPS, settings, cluster: 'microk8s', defaultStorageClassName: 'microk8s-hostpath' }),
      '61-monitoring-rbac.yaml',
      '62-monitoring-config.yaml',
      '64-prometheus.yaml',
    );
    expect(names(rbac!)).toEqual([
      'ServiceAccount/prometheus',
      'ClusterRole/qctl-prometheus-dev',
      'ClusterRoleBinding/qctl-prometheus-dev',
    ]);
    expect(names(config!)).toEqual(['ConfigMap/prometheus-config', 'ConfigMap/prometheus-rules']);
    expect(only(main!, 'PersistentVolumeClaim').spec).toMatchObject({
      storageClassName: 'microk8s-hostpath',
      resources: { requests: { storage: '2Gi' } },
    });
    const container = only(main!, 'Deployment').spec.template.spec.containers[0];
    expect(container.args).toContain('--storage.tsdb.retention.time=2d');
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } });
    const [, , noClass] = synthChart(
      (scope) => buildPrometheus(scope, { ...PROPS, settings }),
      '61-monitoring-rbac.yaml',
      '62-monitoring-config.yaml',
      '64-prometheus.yaml',
    );
    expect(only(noClass!, 'PersistentVolumeClaim').spec.storageClassName).toBeUndefined();
  });

  it('buildKubeStateMetrics: watches only its environment', () => {
    const [objects] = synthChart((scope) => buildKubeStateMetrics(scope, PROPS), '65-kube-state-metrics.yaml');
    expect(only(objects!, 'Deployment').spec.template.spec.containers[0].args).toContain('--namespaces=quotes-test,monitoring-dev');
  });

  it('buildGrafana: Ingress on grafana.<api host> by default, none when the environment writes no Ingress', () => {
    const [objects] = synthChart((scope) => buildGrafana(scope, { ...PROPS, apiHost: 'quotes.example.com' }), '66-grafana.yaml');
    expect(only(objects!, 'Ingress').spec).toMatchObject({ ingressClassName: 'nginx', rules: [{ host: 'grafana.quotes.example.com' }] });
    expect(only(objects!, 'Deployment').spec.template.spec.containers[0].env).toContainEqual({
      name: 'GF_SERVER_ROOT_URL',
      value: 'http://grafana.quotes.example.com/',
    });
    const [without] = synthChart((scope) => buildGrafana(scope, { ...PROPS, ingressEnabled: false }), '66-grafana.yaml');
    expect(names(without!)).toEqual(['Deployment/grafana', 'Service/grafana']);
  });

  it('buildOperatorResources: ServiceMonitors carry the release label; no Redis, no Redis monitor', () => {
    const [objects] = synthChart((scope) => buildOperatorResources(scope, { ...PROPS, settings }), '68-monitoring-operator.yaml');
    const monitors = objects!.filter((o) => o.kind === 'ServiceMonitor');
    expect(monitors.map((o) => o.metadata.name)).toEqual(['quote-api', 'postgres-exporter', 'redis-exporter']);
    expect(
      monitors.every(
        (o) => o.metadata.labels!.release === settings.operator.release && o.metadata.annotations?.['qctl.dev/phase'] === 'monitoring',
      ),
    ).toBe(true);
    const [noRedis] = synthChart(
      (scope) => buildOperatorResources(scope, { ...PROPS, settings, redis: false }),
      '68-monitoring-operator.yaml',
    );
    expect(noRedis!.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name)).toEqual(['quote-api', 'postgres-exporter']);
  });
});
