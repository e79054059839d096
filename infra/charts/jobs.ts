import { ApiObject } from 'cdk8s';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { SynthContext } from '../context.js';
import { imageNameSuffix } from '../image.js';
import type { ManifestScope } from '../scope.js';
import { apiEnvFrom, apiSecretEnv } from './api-env.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { APP_UID, containerSecurityContext, podSecurityContext, quantityToMebibytes, resourceRequirements } from './pod.js';
import { API_NAME, APP_COMMAND } from './quote-api.js';

export type JobKind = 'migrate' | 'seed';

/**
 * Job names carry the image tag: a Job's pod template is immutable, and a new image must
 * run its migrations again as a new Job. Same image -> same name -> re-applying is a no-op.
 */
export function jobName(ctx: SynthContext, kind: JobKind): string {
  return `${API_NAME}-${kind}-${imageNameSuffix(ctx.image)}`;
}

/** The migration Job (30-, applied and awaited before the API rolls out) and the seed Job (90-, first install). */
export function buildJobs(scope: ManifestScope, ctx: SynthContext): void {
  new ApiObject(scope.file('30-migrate-job.yaml'), 'migrate', appJob(ctx, 'migrate'));
  new ApiObject(scope.file('90-seed-job.yaml'), 'seed', appJob(ctx, 'seed'));
}

function appJob(ctx: SynthContext, kind: JobKind): IJob {
  const { jobs } = ctx.env;
  const component = kind === 'migrate' ? 'migration' : 'seed';
  const labels = ctx.labels(`${API_NAME}-${kind}`, component);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(ctx, kind), namespace: ctx.namespace, labels },
    spec: {
      backoffLimit: jobs.backoffLimit,
      activeDeadlineSeconds: jobs.activeDeadlineSeconds,
      ttlSecondsAfterFinished: jobs.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: SERVICE_ACCOUNTS.jobs,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(APP_UID),
          containers: [
            {
              name: kind,
              image: ctx.image.ref,
              imagePullPolicy: ctx.imagePullPolicy,
              command: APP_COMMAND,
              args: [kind],
              envFrom: apiEnvFrom(),
              // The seed job fills the embedding cache too; migrations need only the database.
              env: [
                ...apiSecretEnv(ctx, { redis: kind === 'seed' }),
                ...(kind === 'seed' ? [{ name: 'SEED_SOURCE', value: jobs.seedSource }] : []),
                ...postgresMemoryEnv(ctx),
              ],
              resources: resourceRequirements(jobs.resources),
              securityContext: containerSecurityContext(APP_UID),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}

/**
 * Both Jobs build the vector index: they cap its maintenance_work_mem at a quarter of the
 * in-cluster Postgres pod's memory limit (unknown for an external database).
 */
function postgresMemoryEnv(ctx: SynthContext): { name: string; value: string }[] {
  const { postgres } = ctx.env;
  if (postgres.mode !== 'internal') return [];
  return [{ name: 'POSTGRES_MEMORY_LIMIT_MB', value: String(quantityToMebibytes(postgres.resources.limits.memory)) }];
}
