import { describe, expect, it } from 'vitest';
import { loadImageFor, loadJobObjects } from '../../../infra/charts/load-job.js';
import { parseImageRef } from '../../../infra/image.js';
import { synthesize, type KubeObject } from '../../../infra/main.js';
import { hasErrors, validateObjects } from '../../../infra/validate.js';

type Labels = Record<string, string>;
const matches = (selector: Labels, labels: Labels): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
const templateLabels = (workload: KubeObject): Labels =>
  (workload.spec as { template: { metadata: { labels: Labels } } }).template.metadata.labels;
const policy = (objects: KubeObject[], suffix: string) =>
  objects.find((o) => o.metadata.name.endsWith(suffix))!.spec as {
    podSelector: { matchLabels: Labels };
    ingress?: { from: { podSelector: { matchLabels: Labels } }[] }[];
    egress?: { to: { podSelector: { matchLabels: Labels } }[] }[];
  };

describe('the load Job (qctl load --in-cluster)', () => {
  for (const env of ['dev', 'staging', 'prod'] as const) {
    it(`${env}: validates together with the environment, and its policies connect exactly the workers and the API`, async () => {
      const synth = await synthesize({ env, config: false });
      const objects = loadJobObjects(synth.context, {
        name: 'quote-api-load-t1',
        workers: 4,
        workerSpec: '{}',
        activeDeadlineSeconds: 120,
      });
      expect(hasErrors(validateObjects([...synth.objects, ...objects]))).toBe(false);
      const job = objects.find((o) => o.kind === 'Job')!;
      const api = synth.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'quote-api')!;
      const egress = policy(objects, '-egress');
      const toApi = policy(objects, '-to-api');
      // The egress policy covers the workers and lets them reach the API pods; the API policy admits them.
      expect(matches(egress.podSelector.matchLabels, templateLabels(job))).toBe(true);
      expect(matches(egress.egress![0]!.to[0]!.podSelector.matchLabels, templateLabels(api))).toBe(true);
      expect(matches(toApi.podSelector.matchLabels, templateLabels(api))).toBe(true);
      expect(matches(toApi.ingress![0]!.from[0]!.podSelector.matchLabels, templateLabels(job))).toBe(true);
      // Another run's pods (another run label) are not admitted by this run's policy.
      expect(matches(toApi.ingress![0]!.from[0]!.podSelector.matchLabels, { ...templateLabels(job), 'qctl.dev/load-run': 'other' })).toBe(
        false,
      );
      expect(job.metadata.namespace).toBe(`quotes-${env}`);
      // The scenario source (headers, credentials) is read from a Secret by reference, never in the Job;
      // the manifest carries no secret data (qctl fills it in when it applies the run).
      const secret = objects.find((o) => o.kind === 'Secret')!;
      expect(secret.metadata.name).toBe('quote-api-load-t1-source');
      expect(secret).not.toHaveProperty('data');
      const container = (job.spec as { template: { spec: { containers: { env: unknown[] }[] } } }).template.spec.containers[0]!;
      expect(container.env).toContainEqual({
        name: 'QCTL_LOAD_SOURCE',
        valueFrom: { secretKeyRef: { name: 'quote-api-load-t1-source', key: 'source' } },
      });
    });
  }

  it("names the worker image after the API image's repository, keeping its tag or digest", () => {
    expect(loadImageFor(parseImageRef('127.0.0.1:32000/quote-api:git-3f2a1bc')).ref).toBe('127.0.0.1:32000/quote-api-load:git-3f2a1bc');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(loadImageFor(parseImageRef(`ghcr.io/acme/quote-api@${digest}`)).ref).toBe(`ghcr.io/acme/quote-api-load@${digest}`);
  });
});
