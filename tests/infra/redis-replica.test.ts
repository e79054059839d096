import { describe, expect, it } from 'vitest';
import { CLUSTER_NAMES } from '../../infra/clusters.js';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { formatIssue, validateFiles } from '../../infra/validate.js';

type Json = Record<string, any>;
const IMAGE = '127.0.0.1:32000/quote-api:git-3f2a1bc';

const apiPod = (objects: KubeObject[]): Json =>
  (objects as Json[]).find((o) => o.kind === 'Deployment' && o.metadata.name === 'quote-api')!.spec.template.spec;
const containerNames = (objects: KubeObject[]) => apiPod(objects).containers.map((c: Json) => c.name);
const apiEnvNames = (objects: KubeObject[]) => apiPod(objects).containers[0].env.map((e: Json) => e.name);

describe('redis.readReplicaSidecar', () => {
  it('is off in dev and on in staging and prod, with REDIS_READ_URL exactly where the replica runs', async () => {
    for (const [env, on] of [
      ['dev', false],
      ['staging', true],
      ['prod', true],
    ] as const) {
      const { objects } = await synthesize({ env, image: IMAGE, config: false, monitoring: 'none' });
      expect(containerNames(objects), env).toEqual(on ? ['quote-api', 'redis-replica'] : ['quote-api']);
      expect(apiEnvNames(objects).includes('REDIS_READ_URL'), env).toBe(on);
    }
  });

  it.each(CLUSTER_NAMES)('validates flipped from its default in every environment on %s', async (cluster) => {
    for (const [env, value] of [
      ['dev', true],
      ['staging', false],
      ['prod', false],
    ] as const) {
      const result = await synthesize({ env, cluster, image: IMAGE, config: false, set: [`redis.readReplicaSidecar=${value}`] });
      expect(result.files.length).toBeGreaterThan(0);
      expect(validateFiles(result.files).map(formatIssue), `${env}/${cluster}`).toEqual([]);
      expect(containerNames(result.objects).includes('redis-replica'), `${env}/${cluster}`).toBe(value);
    }
  });

  it("lets the API pods (where the replica runs) reach the primary's port, which replication uses", async () => {
    const { objects } = await synthesize({ env: 'prod', image: IMAGE, config: false, monitoring: 'none' });
    const policy = (name: string): Json => (objects as Json[]).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === name)!.spec;
    const redisPods = { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'quotes-prod' };
    expect(policy('quote-api-egress').egress).toContainEqual({
      to: [{ podSelector: { matchLabels: redisPods } }],
      ports: [{ protocol: 'TCP', port: 6379 }],
    });
    const admitted = policy('redis-ingress').ingress.find((rule: Json) =>
      rule.from.some((peer: Json) => peer.podSelector?.matchLabels['app.kubernetes.io/name'] === 'quote-api'),
    );
    expect(admitted.ports).toEqual([{ protocol: 'TCP', port: 6379 }]);
  });

  it('does nothing without Redis, and says the setting is ignored', async () => {
    const result = await synthesize({
      env: 'dev',
      image: IMAGE,
      config: false,
      monitoring: 'none',
      set: ['redis.enabled=false', 'redis.readReplicaSidecar=true'],
    });
    expect(containerNames(result.objects)).toEqual(['quote-api']);
    expect(apiEnvNames(result.objects)).not.toContain('REDIS_READ_URL');
    expect(result.ignored).toEqual([
      'redis.readReplicaSidecar (--set redis.readReplicaSidecar=true) is ignored for environment dev: redis.enabled is false, so no Redis is deployed',
    ]);
  });
});
