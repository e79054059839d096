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

  it('points only the API at the pooler, with its pool size and the credentials Secret given', () => {
    const objects = synth({
      ...base,
      postgresSecret: 'postgres-app',
      poolerHost: 'pgbouncer.quotes-dev.svc.cluster.local',
      api: { dbPoolMax: 7 },
    });
    const env = only(objects, 'Deployment').spec.template.spec.containers[0].env as Array<Record<string, any>>;
    expect(env.find((e) => e.name === 'PGUSER')!.valueFrom.secretKeyRef).toEqual({ name: 'postgres-app', key: 'username' });
    expect(env.find((e) => e.name === 'DB_POOL_MAX')!.value).toBe('7');
    expect(env.find((e) => e.name === 'PGHOST')!.value).toBe('pgbouncer.quotes-dev.svc.cluster.local');
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
    expect(pod.containers[0].env.map((e: { name: string }) => e.name)).toEqual(['APP_VERSION', 'PGUSER', 'PGPASSWORD', 'DB_POOL_MAX']);
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

  it('reports the image tag as APP_VERSION and labels the stable pods, never the immutable selector', () => {
    const deployment = only(synth(base), 'Deployment');
    expect(deployment.spec.template.spec.containers[0].env[0]).toEqual({ name: 'APP_VERSION', value: '1.2.3' });
    expect(deployment.spec.template.metadata.labels['qctl.dev/track']).toBe('stable');
    expect(deployment.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'quote-api',
      'app.kubernetes.io/instance': 'quotes-dev',
    });
    const byDigest = only(synth({ ...base, image: parseImageRef(`quote-api@sha256:${'ab'.repeat(32)}`) }), 'Deployment');
    expect(byDigest.spec.template.spec.containers[0].env[0].value).toBe('sha256-abababababab');
  });

  it('nodeport mode: the Service is a NodePort on the fixed port, and no Ingress', () => {
    const objects = synth({ ...base, ingress: { mode: 'nodeport', nodePort: 30111 } });
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    expect(only(objects, 'Service').spec).toMatchObject({
      type: 'NodePort',
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30111 }],
    });
  });

  it('a canary: a second Deployment from the same pod template with the canary image and version, and one Service per track', () => {
    const objects = synth({
      ...base,
      api: { replicas: 3 },
      canary: { image: parseImageRef('quote-api:1.3.0-rc1'), replicas: 2 },
    });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Deployment/quote-api',
      'Service/quote-api',
      'Deployment/quote-api-canary',
      'Service/quote-api-canary',
      'Service/quote-api-stable',
      'Ingress/quote-api',
      'PodDisruptionBudget/quote-api',
    ]);
    const stable = only(objects, 'Deployment', 'quote-api');
    const canary = only(objects, 'Deployment', 'quote-api-canary');
    expect(canary.spec.replicas).toBe(2);
    expect(canary.spec.selector.matchLabels).toEqual({ ...stable.spec.selector.matchLabels, 'qctl.dev/track': 'canary' });
    expect(canary.spec.template.metadata.labels['qctl.dev/track']).toBe('canary');
    const container = canary.spec.template.spec.containers[0];
    expect(container.image).toBe('quote-api:1.3.0-rc1');
    expect(container.env[0]).toEqual({ name: 'APP_VERSION', value: '1.3.0-rc1' });
    // Apart from image, version and track, the pods are the stable ones.
    const comparable = (d: typeof stable) => {
      const template = structuredClone(d.spec.template);
      delete template.metadata.labels['qctl.dev/track'];
      template.spec.containers[0].image = 'x';
      template.spec.containers[0].env[0].value = 'x';
      return template;
    };
    expect(comparable(canary)).toEqual(comparable(stable));
    // The stable Deployment is untouched by the canary (its image, selector and template).
    expect(stable).toEqual(only(synth({ ...base, api: { replicas: 3 } }), 'Deployment'));
    expect(only(objects, 'Service', 'quote-api').spec.selector).toEqual(stable.spec.selector.matchLabels);
    expect(only(objects, 'Service', 'quote-api-canary').spec.selector['qctl.dev/track']).toBe('canary');
    expect(only(objects, 'Service', 'quote-api-stable').spec.selector['qctl.dev/track']).toBe('stable');
  });

  it('with Istio: the API pods ask for a sidecar and keep their own scrape annotations', () => {
    const template = only(synth({ ...base, istio: true }), 'Deployment').spec.template;
    expect(template.metadata.labels['sidecar.istio.io/inject']).toBe('true');
    expect(template.metadata.annotations['prometheus.istio.io/merge-metrics']).toBe('false');
    expect(only(synth(base), 'Deployment').spec.template.metadata.labels['sidecar.istio.io/inject']).toBeUndefined();
  });

  it('with a Redis read replica: a read-only sidecar that follows the primary Service, bound to 127.0.0.1, and REDIS_READ_URL', () => {
    const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
    const pod = only(synth({ ...base, redisReadReplica: { image: 'redis:7.4.1-alpine', resources } }), 'Deployment').spec.template.spec;
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['quote-api', 'redis-replica']);
    const [api, replica] = pod.containers;
    expect(api.env.find((e: { name: string }) => e.name === 'REDIS_READ_URL')).toEqual({
      name: 'REDIS_READ_URL',
      value: 'redis://:$(REDIS_PASSWORD)@127.0.0.1:6379/0',
    });
    expect(replica).toMatchObject({ image: 'redis:7.4.1-alpine', imagePullPolicy: 'IfNotPresent', command: ['redis-server'], resources });
    const option = (name: string) => replica.args.slice(replica.args.indexOf(name) + 1, replica.args.indexOf(name) + 3);
    expect(option('--bind')[0]).toBe('127.0.0.1');
    expect(option('--replicaof')).toEqual(['redis.quotes-test.svc.cluster.local', '6379']);
    expect(option('--masterauth')[0]).toBe('$(REDIS_PASSWORD)');
    expect(option('--requirepass')[0]).toBe('$(REDIS_PASSWORD)');
    expect(option('--replica-read-only')[0]).toBe('yes');
    expect(option('--replica-serve-stale-data')[0]).toBe('no');
    expect(replica.env).toEqual([{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-credentials', key: 'password' } } }]);
    // Loopback only: no container port, and probes that run inside the container.
    expect(replica.ports).toBeUndefined();
    for (const probe of [replica.readinessProbe, replica.livenessProbe]) expect(probe.exec.command.join(' ')).toContain('-h 127.0.0.1');
    expect(replica.securityContext).toMatchObject({ runAsUser: 999, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.volumes).toContainEqual({ name: 'redis-replica', emptyDir: { sizeLimit: '256Mi' } });
    expect(replica.volumeMounts).toEqual([{ name: 'redis-replica', mountPath: '/data' }]);

    // Without Redis there is nothing to replicate.
    const noRedis = only(synth({ ...base, redis: false, redisReadReplica: {} }), 'Deployment').spec.template.spec;
    expect(noRedis.containers).toHaveLength(1);
  });
});
