import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { Labels } from '../labels.js';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { ImagePullPolicy } from '../clusters.js';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS, type EnvironmentSettings } from '../environments.js';
import { imageNameSuffix, type ImageRef } from '../image.js';
import type { ManifestScope } from '../scope.js';
import { apiEnvFrom, apiSecretEnv } from './api-env.js';
import type { DatabaseEndpoint } from './database.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { APP_UID, containerSecurityContext, podSecurityContext, quantityToMebibytes, resourceRequirements } from './pod.js';
import { labelsFor, selectorFor, stackPropsFrom, type StackProps } from './props.js';
import { API_NAME, APP_COMMAND } from './quote-api.js';

export type JobKind = 'migrate' | 'seed';

export interface JobsProps extends StackProps {
  /** The API image: the Jobs run its `migrate` and `seed` commands, and their names carry its tag. */
  image: ImageRef;
  /** @default 'IfNotPresent' */
  imagePullPolicy?: ImagePullPolicy;
  /** Whether Redis runs: the seed Job then fills its embedding cache. @default true */
  redis?: boolean;
  /** Secret with the database username and password. @default 'postgres-credentials' */
  postgresSecret?: string;
  /** Memory limit of the in-cluster Postgres pods (caps index builds); unset for an external database. @default unset */
  postgresMemoryLimit?: string;
  /** TTL, retries, deadline, resources, seed source. @default the `jobs` base settings of infra/environments.ts (ttl 1 day, 3 retries, 15 min, seed from dummyjson) */
  jobs?: Partial<EnvironmentSettings['jobs']>;
  /** The pods' ServiceAccount (the stack passes `serviceAccounts.jobs.serviceAccountName`). @default 'quote-api-jobs' */
  serviceAccountName?: string;
}

/** `database`: the server the Jobs connect to directly (never a pooler: they hold session state). */
export function jobsPropsFrom(
  ctx: SynthContext,
  wiring: { database: Pick<DatabaseEndpoint, 'credentials'>; serviceAccountName: string },
): JobsProps {
  const { postgres, redis, jobs } = ctx.env;
  return {
    ...stackPropsFrom(ctx),
    image: ctx.image,
    imagePullPolicy: ctx.imagePullPolicy,
    redis: redis.enabled,
    postgresSecret: wiring.database.credentials.secretName,
    serviceAccountName: wiring.serviceAccountName,
    ...(postgres.mode !== 'external' ? { postgresMemoryLimit: postgres.resources.limits.memory } : {}),
    jobs,
  };
}

/**
 * Job names carry the image tag: a Job's pod template is immutable, and a new image must
 * run its migrations again as a new Job. Same image -> same name -> re-applying is a no-op.
 */
export function jobName(image: ImageRef, kind: JobKind): string {
  return `${API_NAME}-${kind}-${imageNameSuffix(image)}`;
}

/** The migration Job (30-, applied and awaited before the API rolls out) and the seed Job (90-, first install). */
export function buildJobs(scope: ManifestScope, props: JobsProps): { migrate: AppJob; seed: AppJob } {
  return {
    migrate: new AppJob(scope.file('30-migrate-job.yaml'), 'migrate', { ...props, kind: 'migrate' }),
    seed: new AppJob(scope.file('90-seed-job.yaml'), 'seed', { ...props, kind: 'seed' }),
  };
}

/**
 * One run of the API image's `migrate` or `seed` command as a Job. Exposes `.job`, `.name`
 * (which carries the image tag, see jobName) and `.selector` (its pods' labels, stable across
 * images, which NetworkPolicies select).
 */
export class AppJob extends Construct {
  readonly job: ApiObject;
  readonly name: string;
  readonly selector: Labels;

  constructor(scope: Construct, id: string, props: JobsProps & { kind: JobKind }) {
    super(scope, id);
    this.name = jobName(props.image, props.kind);
    this.selector = selectorFor(props, `${API_NAME}-${props.kind}`);
    this.job = new ApiObject(this, 'job', appJob(props, props.kind));
  }
}

/** What every Job pod running our images shares: no restart in place, the jobs account without a token, no service links, the app user. */
export function jobPodBasics(serviceAccountName: string = SERVICE_ACCOUNTS.jobs) {
  return {
    restartPolicy: 'Never' as const,
    serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(APP_UID),
  };
}

function appJob(props: JobsProps, kind: JobKind): IJob {
  const jobs = { ...BASE_SETTINGS.jobs, ...props.jobs };
  const component = kind === 'migrate' ? 'migration' : 'seed';
  const labels = labelsFor(props, `${API_NAME}-${kind}`, component);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(props.image, kind), namespace: props.namespace, labels },
    spec: {
      backoffLimit: jobs.backoffLimit,
      activeDeadlineSeconds: jobs.activeDeadlineSeconds,
      ttlSecondsAfterFinished: jobs.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          ...jobPodBasics(props.serviceAccountName),
          containers: [
            {
              name: kind,
              image: props.image.ref,
              imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
              command: APP_COMMAND,
              args: [kind],
              envFrom: apiEnvFrom(),
              // The seed job fills the embedding cache too; migrations need only the database.
              env: [
                ...apiSecretEnv(props.namespace, { redis: kind === 'seed' && (props.redis ?? true), postgresSecret: props.postgresSecret }),
                ...(kind === 'seed' ? [{ name: 'SEED_SOURCE', value: jobs.seedSource }] : []),
                ...postgresMemoryEnv(props.postgresMemoryLimit),
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
function postgresMemoryEnv(limit: string | undefined): { name: string; value: string }[] {
  if (limit === undefined) return [];
  return [{ name: 'POSTGRES_MEMORY_LIMIT_MB', value: String(quantityToMebibytes(limit)) }];
}
