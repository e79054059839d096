import type { KubeObject } from '../../bin/kube/objects.js';
import { PHASE_ANNOTATION, type Phase } from '../../infra/phases.js';

/**
 * A small stack shaped like the synth output (same names, labels and secret references), for
 * engine tests that need to change it between runs.
 */
const NS = 'quotes-test';

function labels(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': `${name}-test`,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'quotes',
    'app.kubernetes.io/managed-by': 'qctl',
    'qctl.dev/env': 'test',
  };
}

function podSpec(name: string, image: string, env: unknown[] = [], envFrom: unknown[] = []) {
  return { containers: [{ name, image, env, envFrom }] };
}

function workload(
  kind: string,
  name: string,
  component: string,
  image: string,
  extra: { namespace?: string; env?: unknown[]; envFrom?: unknown[]; replicas?: number } = {},
): KubeObject {
  const l = labels(name, component);
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: extra.namespace ?? NS, labels: l },
    spec: {
      ...(kind === 'Deployment' || kind === 'StatefulSet' ? { replicas: extra.replicas ?? 1 } : {}),
      selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': `${name}-test` } },
      template: { metadata: { labels: l }, spec: podSpec(name, image, extra.env, extra.envFrom) },
    },
  };
}

function job(name: string, component: string, image: string, args: string[]): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS, labels: labels('quote-api', component) },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: labels('quote-api', component) },
        spec: { restartPolicy: 'Never', containers: [{ name: component, image, args }] },
      },
    },
  };
}

/** The deploy phase, as infra stamps it on every synthesized object. */
function inPhase(phase: Phase, object: KubeObject): KubeObject {
  object.metadata.annotations = { ...object.metadata.annotations, [PHASE_ANNOTATION]: phase };
  return object;
}

const secretEnv = (name: string, key: string) => ({ name: key, valueFrom: { secretKeyRef: { name, key } } });

export function sampleObjects(image = '127.0.0.1:32000/quote-api:abc123'): KubeObject[] {
  return [
    inPhase('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: labels('quotes', 'namespace') } }),
    inPhase('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'monitoring', labels: labels('monitoring', 'namespace') },
    }),
    inPhase('rbac', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'quote-api', namespace: NS, labels: labels('quote-api', 'api') },
    }),
    inPhase('config', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'quote-api-config', namespace: NS, labels: labels('quote-api', 'api') },
      data: { LOG_LEVEL: 'info' },
    }),
    inPhase(
      'data',
      workload('StatefulSet', 'postgres', 'postgres', 'pgvector/pgvector:pg17', { env: [secretEnv('postgres-credentials', 'password')] }),
    ),
    inPhase('data', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'postgres', namespace: NS, labels: labels('postgres', 'postgres') },
      spec: { ports: [{ name: 'postgres', port: 5432 }] },
    }),
    inPhase('data', workload('StatefulSet', 'redis', 'redis', 'redis:7', { env: [secretEnv('redis-credentials', 'password')] })),
    inPhase('migrate', job('quote-api-migrate', 'migrate', image, ['migrate'])),
    inPhase(
      'api',
      workload('Deployment', 'quote-api', 'api', image, {
        replicas: 2,
        env: [secretEnv('postgres-credentials', 'password'), secretEnv('redis-credentials', 'password')],
        envFrom: [{ secretRef: { name: 'quote-api-secrets', optional: true } }],
      }),
    ),
    inPhase('api', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'quote-api', namespace: NS, labels: labels('quote-api', 'api') },
      spec: { ports: [{ name: 'http', port: 80 }] },
    }),
    inPhase('monitoring', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'prometheus-data', namespace: 'monitoring', labels: labels('prometheus', 'prometheus') },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    }),
    inPhase(
      'monitoring',
      workload('Deployment', 'grafana', 'grafana', 'grafana/grafana:11', {
        namespace: 'monitoring',
        env: [secretEnv('grafana-admin', 'admin-password')],
      }),
    ),
    inPhase('seed', job('quote-api-seed', 'seed', image, ['seed'])),
  ];
}

export const SAMPLE_NAMESPACE = NS;
