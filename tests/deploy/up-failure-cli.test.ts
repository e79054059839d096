import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../bin/kube/objects.js';
import { DeployHarness } from './harness.js';

let harness: DeployHarness | undefined;

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const apiImage = (h: DeployHarness) =>
  (h.api.get('Deployment', 'quotes-dev', 'quote-api')!.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
    .containers[0]!.image;

describe('qctl up --dry-run and failed rollouts (real CLI, fake cluster)', () => {
  it('--dry-run prints the plan and makes no mutating call, builds nothing', async () => {
    harness = await DeployHarness.create();
    const result = await harness.run(['up', '--cluster', 'microk8s', '--dry-run']);
    expect(result.exitCode).toBe(0);
    expect(harness.api.mutations()).toEqual([]);
    // Only the read-only builder probe: nothing built, tagged or pushed.
    expect(harness.bins.calls('docker').map((c) => c.args)).toEqual([['info']]);
    expect(result.stdout).toMatch(/would run: docker build -t 127\.0\.0\.1:32000\/quote-api:[0-9a-f]{12}/);
    expect(result.stdout).toContain('Namespace quotes-dev');
    expect(result.stdout).toContain('dry run: nothing was changed');
  });

  it('a failed rollout exits 1 with the diagnosis, and --rollback-on-failure restores the previous image', async () => {
    harness = await DeployHarness.create();
    expect((await harness.run(['up', '--cluster', 'microk8s', '--image', 'registry.example/quote-api:good'])).exitCode).toBe(0);
    harness.api.react({ kind: 'Deployment', name: 'quote-api' }, (object, api) => {
      const image = (object.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
      if (image.endsWith(':good')) {
        object.status = {
          observedGeneration: object.metadata.generation,
          replicas: 1,
          updatedReplicas: 1,
          availableReplicas: 1,
          readyReplicas: 1,
        };
        return;
      }
      object.status = { observedGeneration: object.metadata.generation, replicas: 2, updatedReplicas: 1, availableReplicas: 1 };
      api.put(podFor(object));
    });
    const result = await harness.run([
      'up',
      '--cluster',
      'microk8s',
      '--image',
      'registry.example/quote-api:typo',
      '--rollback-on-failure',
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Deployment quotes-dev/quote-api failed: ErrImagePull');
    expect(result.stderr).toContain('image "registry.example/quote-api:typo"');
    expect(result.stderr).toContain('fix: check the image reached the cluster');
    expect(result.stdout).toContain('rolled back Deployment quotes-dev/quote-api to registry.example/quote-api:good');
    expect(apiImage(harness)).toBe('registry.example/quote-api:good');
  });

  it('a failed migration Job exits 1 with its logs and never touches the API Deployment', async () => {
    harness = await DeployHarness.create();
    harness.api.react({ kind: 'Job' }, (object, api) => {
      if (!/migrate/.test(object.metadata.name)) return;
      object.status = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] };
      const template = (
        object.spec as {
          template: { metadata?: { labels?: Record<string, string> }; spec: { containers: { name: string; image: string }[] } };
        }
      ).template;
      const pod = `${object.metadata.name}-abcde`;
      api.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod,
          namespace: object.metadata.namespace,
          labels: { ...(template.metadata?.labels ?? {}), 'job-name': object.metadata.name },
        },
        status: {
          phase: 'Failed',
          containerStatuses: template.spec.containers.map((c) => ({
            name: c.name,
            image: c.image,
            state: { terminated: { exitCode: 1 } },
          })),
        },
      });
      api.setLogs(object.metadata.namespace!, pod, 'migrate: applying 0002\nerror: permission denied for schema public\n');
    });
    const result = await harness.run(['up', '--image', 'registry.example/quote-api:1', '--timeout', '20s']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Job quotes-dev\/quote-api-migrate-\S+ failed: Job failed \(BackoffLimitExceeded\)/);
    expect(result.stderr).toContain('| error: permission denied for schema public');
    expect(result.stdout).toMatch(/FAILED Database migration/);
    expect(harness.api.get('Deployment', 'quotes-dev', 'quote-api')).toBeUndefined();
  });
});

function podFor(deployment: KubeObject): KubeObject {
  const template = (
    deployment.spec as {
      template: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string }[] } };
    }
  ).template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'quote-api-new-1', namespace: deployment.metadata.namespace, labels: template.metadata.labels },
    status: {
      phase: 'Pending',
      containerStatuses: template.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        state: { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } },
      })),
    },
  };
}
