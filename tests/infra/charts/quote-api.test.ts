import { describe, expect, it } from 'vitest';
import { buildQuoteApi, type QuoteApiProps } from '../../../infra/charts/quote-api.js';
import { parseImageRef } from '../../../infra/image.js';
import { only, PROPS, synthChart } from './synth-chart.js';

const base: QuoteApiProps = { ...PROPS, image: parseImageRef('quote-api:1.2.3'), configHash: 'abc123' };
const synth = (props: QuoteApiProps) => synthChart((scope) => buildQuoteApi(scope, props), '40-quote-api.yaml')[0]!;

describe('buildQuoteApi', () => {
  it('with the required props only: one replica, Service and Ingress, no HPA or PDB, in phase api', () => {
    const objects = synth(base);
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'Ingress']);
    expect(objects.every((o) => o.metadata.annotations?.['qctl.dev/phase'] === 'api')).toBe(true);
    const deployment = only(objects, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.metadata.annotations['qctl.dev/config-hash']).toBe('abc123');
    const pod = deployment.spec.template.spec;
    expect(pod.containers[0]).toMatchObject({ image: 'quote-api:1.2.3', imagePullPolicy: 'IfNotPresent' });
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(pod.containers[0].env.map((e: { name: string }) => e.name)).toContain('REDIS_URL');
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('ScheduleAnyway');
    expect(pod.affinity.podAffinity).toBeUndefined();
    expect(only(objects, 'Ingress').spec).toMatchObject({ ingressClassName: 'nginx', rules: [{ host: 'quotes.127.0.0.1.nip.io' }] });
  });

  it('with the HPA on: no fixed replicas, an autoscaler, and a PDB once more than one replica is guaranteed', () => {
    const objects = synth({
      ...base,
      api: {
        replicas: 4,
        hpa: {
          enabled: true,
          minReplicas: 3,
          maxReplicas: 10,
          cpuUtilization: 70,
          memoryUtilization: 80,
          scaleDownStabilizationSeconds: 300,
        },
      },
    });
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'Ingress', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']);
    expect(only(objects, 'Deployment').spec.replicas).toBeUndefined();
    expect(only(objects, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(only(objects, 'HorizontalPodAutoscaler').spec.metrics).toHaveLength(2);
  });

  it('takes placement, Redis, ingress and pull policy', () => {
    const objects = synth({
      ...base,
      imagePullPolicy: 'Always',
      redis: false,
      postgresAffinity: true,
      ingressClassName: 'public',
      api: { spread: 'required', replicas: 2 },
      ingress: { host: 'quotes.example.com', tlsSecretName: 'quotes-tls' },
    });
    const pod = only(objects, 'Deployment').spec.template.spec;
    expect(pod.containers[0].imagePullPolicy).toBe('Always');
    expect(pod.containers[0].env.map((e: { name: string }) => e.name)).toEqual(['PGUSER', 'PGPASSWORD']);
    expect(pod.topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(
      pod.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels[
        'app.kubernetes.io/name'
      ],
    ).toBe('postgres');
    expect(only(objects, 'Ingress').spec).toMatchObject({
      ingressClassName: 'public',
      tls: [{ hosts: ['quotes.example.com'], secretName: 'quotes-tls' }],
    });
    expect(objects.map((o) => o.kind)).toContain('PodDisruptionBudget');
    expect(synth({ ...base, ingress: { mode: 'none' } }).map((o) => o.kind)).toEqual(['Deployment', 'Service']);
  });
});
