import { describe, expect, it } from 'vitest';
import { realSteps } from '../../bin/canary/rollout.js';
import { getEnvironment } from '../../infra/environments.js';

/**
 * Steps are real: without a weighted router the split follows the pods, so the ladder becomes
 * the shares replica counts give, and a step that gives the same pods as the one before is
 * left out (nothing would move, so nothing is waited on). With a router the weights stand.
 */
const env = (values: NonNullable<Parameters<typeof getEnvironment>[1]>[number]['values']) =>
  getEnvironment('dev', [{ source: 'test', values }]);

describe('realSteps', () => {
  it('collapses 20% and 50% beside one stable pod into the one share they both give, and says so', () => {
    const { weights, notes } = realSteps(env({ api: { replicas: 1, hpa: { enabled: false } } }), [20, 50]);
    expect(weights).toEqual([50]);
    expect(notes).toEqual([
      'steps: without a weighted router (ingress.mode gateway or traffic.mesh istio) the split follows the pods: beside 1 pod of the stable version the canary (at most 1 pod, canary.replicas) can take 50%',
      'steps: 20% -> 50% runs as 50% (1 pod, for 20% and 50%)',
    ]);
  });

  it('turns weights into the shares of their pod counts beside four stable pods', () => {
    const { weights, notes } = realSteps(env({ api: { replicas: 4, hpa: { enabled: false } } }), [10, 25, 30, 50]);
    // 10% and 25% -> 1 pod (20%); 30% -> 2 pods (33%); 50% -> 4 pods (50%).
    expect(weights).toEqual([20, 33, 50]);
    expect(notes[0]).toMatch(
      /beside 4 pods of the stable version the canary \(at most 4 pods, canary\.replicas\) can take 20%, 33%, 43%, 50%$/,
    );
    expect(notes[1]).toBe('steps: 10% -> 25% -> 30% -> 50% runs as 20% (1 pod, for 10% and 25%) -> 33% (2 pods, for 30%) -> 50% (4 pods)');
  });

  it('keeps the weights where they are already real, and wherever a router splits by weight', () => {
    expect(realSteps(env({ api: { replicas: 4, hpa: { enabled: false } } }), [20, 50])).toEqual({ weights: [20, 50], notes: [] });
    expect(realSteps(env({ ingress: { mode: 'gateway' } }), [20, 50])).toEqual({ weights: [20, 50], notes: [] });
    expect(realSteps(env({ traffic: { mesh: 'istio' } }), [10, 25])).toEqual({ weights: [10, 25], notes: [] });
  });
});
