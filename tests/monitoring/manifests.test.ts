import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLUSTER_NAMES } from '../../infra/clusters.js';
import { ENVIRONMENT_NAMES } from '../../infra/environments.js';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { buildDashboards, dashboardJson } from '../../infra/dashboards/index.js';
import { IMAGES } from '../../infra/monitoring/names.js';
import { formatIssue, validateObjects } from '../../infra/validate.js';
import { promtool, withFileDiscovery } from './promtool.js';

type Json = Record<string, any>;
const MONITORING_FILE = /^6[0-9]-/;
const STANDARD_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
  'qctl.dev/env',
];

const monitoringObjects = (result: Awaited<ReturnType<typeof synthesize>>): KubeObject[] =>
  result.files.filter((file) => MONITORING_FILE.test(file.name)).flatMap((file) => file.objects);
const find = (objects: KubeObject[], kind: string, name: string, namespace?: string): Json =>
  objects.find(
    (o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace),
  ) as Json;
const podSpecs = (objects: KubeObject[]): Array<{ object: KubeObject; spec: Json }> =>
  objects.filter((o) => o.kind === 'Deployment').map((object) => ({ object, spec: (object as Json).spec.template.spec }));

describe('monitoring objects pass validateObjects (schema + strict + cross-object) everywhere', () => {
  for (const env of ENVIRONMENT_NAMES) {
    for (const monitoring of ['self', 'operator'] as const) {
      it(`${env} × every cluster flavour × ${monitoring}`, async () => {
        for (const cluster of CLUSTER_NAMES) {
          const result = await synthesize({ env, cluster, monitoring, config: false });
          const ours = new Set(monitoringObjects(result));
          expect(ours.size).toBeGreaterThan(0);
          const issues = validateObjects(result.objects);
          const relevant = issues.filter(
            (issue) => issue.severity === 'error' || [...ours].some((o) => o.kind === issue.kind && o.metadata.name === issue.name),
          );
          expect(relevant.map(formatIssue), `${env}/${cluster}/${monitoring}`).toEqual([]);
        }
      });
    }
  }

  it('the CRD schemas are really applied: a broken ServiceMonitor is reported', async () => {
    const result = await synthesize({ env: 'dev', monitoring: 'operator', config: false });
    const monitor = structuredClone(find(result.objects, 'ServiceMonitor', 'quote-api'));
    monitor.spec.endpoints[0].scrapeIntervall = '15s';
    const issues = validateObjects([
      ...result.objects.filter((o) => !(o.kind === 'ServiceMonitor' && o.metadata.name === 'quote-api')),
      monitor as KubeObject,
    ]);
    expect(
      issues.some((issue) => issue.kind === 'ServiceMonitor' && issue.severity === 'error' && issue.path.includes('scrapeIntervall')),
    ).toBe(true);
  });
});

describe('self mode', () => {
  it('labels every object and hardens every container', async () => {
    const result = await synthesize({ env: 'prod', config: false });
    const objects = monitoringObjects(result);
    for (const object of objects) {
      for (const label of STANDARD_LABELS)
        expect(object.metadata.labels?.[label], `${object.kind}/${object.metadata.name} ${label}`).toBeTruthy();
      expect(object.metadata.labels?.['qctl.dev/env']).toBe('prod');
    }
    const pods = podSpecs(objects);
    expect(pods.map(({ object }) => `${object.metadata.namespace}/${object.metadata.name}`).sort()).toEqual([
      'monitoring-prod/grafana',
      'monitoring-prod/kube-state-metrics',
      'monitoring-prod/prometheus',
      'quotes-prod/postgres-exporter',
      'quotes-prod/redis-exporter',
    ]);
    const pinned = new Set<string>(Object.values(IMAGES));
    for (const { object, spec } of pods) {
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of spec.containers as Json[]) {
        const where = `${object.metadata.name}/${container.name}`;
        expect(pinned.has(container.image), where).toBe(true);
        expect(container.image).not.toMatch(/:latest$/);
        expect(container.resources.requests, where).toHaveProperty('cpu');
        expect(container.resources.limits, where).toHaveProperty('memory');
        expect(container.readinessProbe, where).toBeDefined();
        expect(container.livenessProbe, where).toBeDefined();
        expect(container.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
    }
    // Only Prometheus and kube-state-metrics talk to the Kubernetes API.
    expect(
      pods
        .filter(({ spec }) => spec.automountServiceAccountToken)
        .map(({ object }) => object.metadata.name)
        .sort(),
    ).toEqual(['kube-state-metrics', 'prometheus']);
  });

  it('sets retention and storage per environment', async () => {
    const expected = { dev: ['2d', '2Gi'], staging: ['7d', '10Gi'], prod: ['15d', '50Gi'] } as const;
    for (const env of ENVIRONMENT_NAMES) {
      const objects = monitoringObjects(await synthesize({ env, config: false }));
      const args = find(objects, 'Deployment', 'prometheus').spec.template.spec.containers[0].args as string[];
      expect(args).toContain(`--storage.tsdb.retention.time=${expected[env][0]}`);
      expect(find(objects, 'PersistentVolumeClaim', 'prometheus-data').spec.resources.requests.storage).toBe(expected[env][1]);
    }
    const custom = monitoringObjects(
      await synthesize({
        env: 'dev',
        set: ['monitoring.retention=30d', 'monitoring.storageSize=100Gi', 'monitoring.storageClassName=fast'],
        config: false,
      }),
    );
    expect(find(custom, 'Deployment', 'prometheus').spec.template.spec.containers[0].args).toContain('--storage.tsdb.retention.time=30d');
    expect(find(custom, 'PersistentVolumeClaim', 'prometheus-data').spec).toMatchObject({
      storageClassName: 'fast',
      resources: { requests: { storage: '100Gi' } },
    });
  });

  it('gives Prometheus read-only discovery RBAC and a config promtool accepts', async () => {
    const objects = monitoringObjects(await synthesize({ env: 'staging', config: false }));
    // Cluster-scoped names carry the environment: several environments can share a cluster.
    expect(find(objects, 'ClusterRole', 'qctl-prometheus-staging').rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'services', 'endpoints', 'nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(find(objects, 'ClusterRoleBinding', 'qctl-prometheus-staging').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring-staging' },
    ]);
    const config = parse(find(objects, 'ConfigMap', 'prometheus-config').data['prometheus.yml']);
    // Each environment's Prometheus discovers pods in its own namespaces only.
    expect(config.scrape_configs.find((job: Json) => job.job_name === 'kubernetes-pods').kubernetes_sd_configs).toEqual([
      { role: 'pod', namespaces: { names: ['quotes-staging', 'monitoring-staging'] } },
    ]);
    const rules = find(objects, 'ConfigMap', 'prometheus-rules').data['quotes.rules.yaml'] as string;
    const checkedConfig = promtool(['check', 'config', 'prometheus.yml'], {
      'prometheus.yml': { ...withFileDiscovery(config, 'targets.json'), rule_files: ['quotes.rules.yaml'] },
      'targets.json': '[]',
      'quotes.rules.yaml': rules,
    });
    const result = await checkedConfig;
    expect(result.output).toContain('SUCCESS: 1 rule files found');
    expect(result.ok, result.output).toBe(true);
    // A Prometheus config with a broken relabel regex is rejected by the same check.
    const broken = structuredClone(config);
    broken.scrape_configs[1].relabel_configs[0].regex = '(unclosed';
    expect(
      (
        await promtool(['check', 'config', 'prometheus.yml'], {
          'prometheus.yml': withFileDiscovery(broken, 'targets.json'),
          'targets.json': '[]',
        })
      ).ok,
    ).toBe(false);
  });

  it('provisions Grafana with the datasource and dashboards, and the admin password only from the grafana-admin Secret', async () => {
    const result = await synthesize({ env: 'dev', config: false });
    const objects = monitoringObjects(result);
    expect(result.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const container = find(objects, 'Deployment', 'grafana').spec.template.spec.containers[0];
    const env = Object.fromEntries((container.env as Json[]).map((e) => [e.name, e]));
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toEqual({
      name: 'GF_SECURITY_ADMIN_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'grafana-admin', key: 'admin-password' } },
    });
    expect(env.GF_SECURITY_ADMIN_USER.valueFrom.secretKeyRef.name).toBe('grafana-admin');
    expect(env.GF_AUTH_ANONYMOUS_ENABLED.value).toBe('false');
    const datasources = parse(find(objects, 'ConfigMap', 'grafana-datasources').data['datasources.yaml']);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus.monitoring-dev.svc:9090' }),
    ]);
    const dashboards = find(objects, 'ConfigMap', 'grafana-dashboards').data as Record<string, string>;
    expect(dashboards).toEqual(Object.fromEntries(buildDashboards().map((f) => [f.fileName, dashboardJson(f.dashboard)])));
    expect(find(objects, 'Ingress', 'grafana').spec.rules[0].host).toBe('grafana.quotes.127.0.0.1.nip.io');
    const noIngress = monitoringObjects(await synthesize({ env: 'dev', set: ['monitoring.grafana.ingress=false'], config: false }));
    expect(find(noIngress, 'Ingress', 'grafana')).toBeUndefined();
  });

  it('opens only the paths the stack needs', async () => {
    const objects = monitoringObjects(await synthesize({ env: 'prod', config: false }));
    expect(find(objects, 'NetworkPolicy', 'default-deny', 'monitoring-prod').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    const exporter = find(objects, 'NetworkPolicy', 'postgres-exporter', 'quotes-prod').spec;
    expect(exporter.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: {
              matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['monitoring', 'monitoring-prod'] }],
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 9187 }],
      },
    ]);
    expect(exporter.egress[0]).toEqual({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'quotes-prod' } } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
    expect(find(objects, 'NetworkPolicy', 'postgres-from-postgres-exporter', 'quotes-prod').spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres-exporter', 'app.kubernetes.io/instance': 'quotes-prod' } } },
    ]);
    expect(find(objects, 'NetworkPolicy', 'redis-from-redis-exporter', 'quotes-prod')).toBeDefined();
  });

  it('points the Postgres exporter at an external database with TLS and no in-cluster policy', async () => {
    const objects = monitoringObjects(
      await synthesize({ env: 'prod', set: ['postgres.mode=external', 'postgres.externalHost=db.example.com'], config: false }),
    );
    const env = find(objects, 'Deployment', 'postgres-exporter').spec.template.spec.containers[0].env as Json[];
    expect(env.find((e) => e.name === 'DATA_SOURCE_URI')?.value).toBe('db.example.com:5432/quotes?sslmode=require');
    expect(find(objects, 'NetworkPolicy', 'postgres-from-postgres-exporter')).toBeUndefined();
  });

  it('is deterministic', async () => {
    const a = await synthesize({ env: 'prod', config: false });
    const b = await synthesize({ env: 'prod', config: false });
    expect(JSON.stringify(monitoringObjects(a))).toBe(JSON.stringify(monitoringObjects(b)));
  });
});

describe('operator mode', () => {
  it('emits ServiceMonitors, a PrometheusRule and dashboard ConfigMaps instead of our Prometheus and Grafana', async () => {
    const result = await synthesize({ env: 'prod', cluster: 'kind', monitoring: 'operator', config: false });
    const objects = monitoringObjects(result);
    expect(objects.filter((o) => o.metadata.namespace === 'monitoring' && o.kind !== 'ConfigMap')).toEqual([]);
    expect(find(objects, 'Deployment', 'prometheus')).toBeUndefined();
    expect(find(objects, 'Deployment', 'grafana')).toBeUndefined();
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor') as Json[];
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual(['postgres-exporter', 'quote-api', 'redis-exporter']);
    for (const monitor of monitors) {
      expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
      // Every ServiceMonitor selects a Service that exists, on a port that Service has.
      const service = find(result.objects, 'Service', monitor.metadata.name, 'quotes-prod');
      expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      expect(service.spec.ports.map((p: Json) => p.name)).toContain(monitor.spec.endpoints[0].port);
    }
    const rule = find(objects, 'PrometheusRule', 'quotes-alerts');
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
    const checked = await promtool(['check', 'rules', 'rules.yaml'], { 'rules.yaml': rule.spec });
    expect(checked.ok, checked.output).toBe(true);
    const dashboards = objects.filter((o) => o.kind === 'ConfigMap') as Json[];
    expect(dashboards.map((d) => d.metadata.name).sort()).toEqual([
      'qctl-dashboard-pgbouncer',
      'qctl-dashboard-postgres',
      'qctl-dashboard-quote-api',
      'qctl-dashboard-redis',
    ]);
    for (const map of dashboards) {
      expect(map.metadata.labels.grafana_dashboard).toBe('1');
      expect(map.metadata.namespace).toBe('monitoring');
    }
  });

  it('uses microk8s observability defaults and a configurable release label', async () => {
    const microk8s = monitoringObjects(await synthesize({ env: 'dev', cluster: 'microk8s', monitoring: 'operator', config: false }));
    expect(find(microk8s, 'ServiceMonitor', 'quote-api').metadata.labels.release).toBe('kube-prom-stack');
    expect(find(microk8s, 'ConfigMap', 'qctl-dashboard-quote-api').metadata.namespace).toBe('observability');
    expect(
      find(microk8s, 'NetworkPolicy', 'quote-api-from-operator-prometheus').spec.ingress[0].from[0].namespaceSelector.matchExpressions[0]
        .values,
    ).toEqual(['observability']);
    const custom = monitoringObjects(
      await synthesize({ env: 'dev', monitoring: 'operator', set: ['monitoring.operator.release=monitoring-stack'], config: false }),
    );
    expect(custom.filter((o) => o.kind === 'ServiceMonitor' || o.kind === 'PrometheusRule').map((o) => o.metadata.labels?.release)).toEqual(
      Array(4).fill('monitoring-stack'),
    );
  });
});

describe('none mode', () => {
  it('emits nothing for monitoring', async () => {
    const result = await synthesize({ env: 'prod', monitoring: 'none', config: false });
    expect(monitoringObjects(result)).toEqual([]);
    expect(result.objects.filter((o) => /exporter|prometheus|grafana/.test(o.metadata.name))).toEqual([]);
  });
});
