import { describe, expect, it } from 'vitest';
import { CANARY_NAME as INFRA_CANARY_NAME } from '../../infra/charts/canary.js';
import { CANARY_NAME, canaryAnnotations, parseCanaryState, withCanaryState, type CanaryState } from '../../bin/deploy/canary-state.js';
import type { KubeObject } from '../../bin/kube/objects.js';

const STATE: CanaryState = {
  image: 'registry.example/quote-api:2.0.0',
  stableImage: 'registry.example/quote-api:1.0.0',
  weights: [20, 50],
  step: 2,
  started: '2026-11-30T12:00:00.000Z',
  analysis: true,
  set: ['api.replicas=2', 'ingress.host=q.example.com'],
  monitoring: 'operator',
};

const deployment = (annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: CANARY_NAME, namespace: 'quotes-dev', annotations },
  spec: { template: { spec: { containers: [{ name: 'quote-api', image: 'registry.example/quote-api:2.0.0' }] } } },
});

describe('canary state on the canary Deployment', () => {
  it('names the Deployment infra emits', () => {
    expect(CANARY_NAME).toBe(INFRA_CANARY_NAME);
  });

  it('reads back what it wrote, --set and monitoring included', () => {
    expect(parseCanaryState(deployment(canaryAnnotations(STATE)))).toEqual(STATE);
    expect(canaryAnnotations(STATE)['qctl.dev/canary-weight']).toBe('50');
  });

  it('has no state for a canary Deployment made by hand, or with a step outside its ladder', () => {
    expect(parseCanaryState(deployment())).toBeUndefined();
    expect(parseCanaryState(deployment({ ...canaryAnnotations(STATE), 'qctl.dev/canary-step': '3' }))).toBeUndefined();
  });

  it('annotates only the canary Deployment of a release, keeping its own annotations', () => {
    const other: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: CANARY_NAME, namespace: 'quotes-dev' } };
    const [service, canary] = withCanaryState([other, deployment({ 'qctl.dev/phase': 'api' })], STATE);
    expect(service).toBe(other);
    expect(canary!.metadata.annotations).toEqual({ 'qctl.dev/phase': 'api', ...canaryAnnotations(STATE) });
    expect(() => withCanaryState([other], STATE)).toThrow(/the manifests have no Deployment quote-api-canary although canary\.tag is set/);
  });
});
