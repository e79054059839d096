import { describe, expect, it } from 'vitest';
import { buildRedis } from '../../../infra/charts/redis.js';
import { ManifestScope } from '../../../infra/scope.js';
import { only, PROPS, synthChart } from './synth-chart.js';

describe('buildRedis', () => {
  it('with only env and namespace: the documented defaults', () => {
    const [objects] = synthChart((scope) => buildRedis(scope, PROPS), '25-redis.yaml');
    expect(objects!.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/redis-headless', 'Service/redis', 'StatefulSet/redis']);
    const sts = only(objects!, 'StatefulSet');
    const container = sts.spec.template.spec.containers[0];
    expect(container.image).toBe('redis:7.4-alpine');
    expect(container.args).toContain('--appendonly');
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '250m', memory: '128Mi' } });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('512Mi');
    expect(sts.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'quotes-dev' });
  });

  it('takes image, storage and resources', () => {
    const resources = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } };
    const [objects] = synthChart(
      (scope) =>
        buildRedis(scope, { ...PROPS, env: 'prod', image: 'redis:7.4.1-alpine', storageSize: '3Gi', storageClassName: 'ssd', resources }),
      '25-redis.yaml',
    );
    const sts = only(objects!, 'StatefulSet');
    expect(sts.metadata.labels!['qctl.dev/env']).toBe('prod');
    expect(sts.spec.template.spec.containers[0]).toMatchObject({ image: 'redis:7.4.1-alpine', resources });
    expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'ssd', resources: { requests: { storage: '3Gi' } } });
  });

  it('emits nothing without props (redis.enabled=false)', () => {
    const scope = new ManifestScope();
    buildRedis(scope, undefined);
    expect(scope.toFiles()).toEqual([]);
  });
});
