import { describe, expect, it } from 'vitest';
import { buildJobs } from '../../../infra/charts/jobs.js';
import { parseImageRef } from '../../../infra/image.js';
import { PROPS, synthChart } from './synth-chart.js';

const image = parseImageRef('127.0.0.1:32000/quote-api:git-3f2a1bc');

describe('buildJobs', () => {
  it('migrate in the migrate phase, seed in the first-install-only seed phase, both named after the image tag', () => {
    const [[migrate], [seed]] = synthChart((scope) => buildJobs(scope, { ...PROPS, image }), '30-migrate-job.yaml', '90-seed-job.yaml') as [
      [any],
      [any],
    ];
    expect(migrate.metadata).toMatchObject({ name: 'quote-api-migrate-git-3f2a1bc', annotations: { 'qctl.dev/phase': 'migrate' } });
    expect(seed.metadata).toMatchObject({ name: 'quote-api-seed-git-3f2a1bc', annotations: { 'qctl.dev/phase': 'seed' } });
    const container = seed.spec.template.spec.containers[0];
    expect(container).toMatchObject({ image: image.ref, imagePullPolicy: 'IfNotPresent', args: ['seed'] });
    expect(container.env.map((e: { name: string }) => e.name)).toEqual([
      'PGUSER',
      'PGPASSWORD',
      'REDIS_PASSWORD',
      'REDIS_URL',
      'SEED_SOURCE',
    ]);
    expect(container.env).toContainEqual({ name: 'SEED_SOURCE', value: 'dummyjson' });
    // Documented defaults: ttl one day, 3 retries, 15 minutes.
    expect(seed.spec).toMatchObject({ ttlSecondsAfterFinished: 86400, backoffLimit: 3, activeDeadlineSeconds: 900 });
    expect(migrate.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual(['PGUSER', 'PGPASSWORD']);
  });

  it('takes pull policy, Redis, the Postgres memory limit and the job settings', () => {
    const [[migrate], [seed]] = synthChart(
      (scope) =>
        buildJobs(scope, {
          ...PROPS,
          image,
          imagePullPolicy: 'Always',
          redis: false,
          postgresMemoryLimit: '2Gi',
          jobs: { backoffLimit: 0, seedSource: 'sample' },
        }),
      '30-migrate-job.yaml',
      '90-seed-job.yaml',
    ) as [[any], [any]];
    const env = seed.spec.template.spec.containers[0].env;
    expect(env.map((e: { name: string }) => e.name)).toEqual(['PGUSER', 'PGPASSWORD', 'SEED_SOURCE', 'POSTGRES_MEMORY_LIMIT_MB']);
    expect(env).toContainEqual({ name: 'POSTGRES_MEMORY_LIMIT_MB', value: '2048' });
    expect(env).toContainEqual({ name: 'SEED_SOURCE', value: 'sample' });
    expect(migrate.spec.backoffLimit).toBe(0);
    expect(migrate.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(migrate.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
  });
});
