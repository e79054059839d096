import { ApiObject } from 'cdk8s';
import type { IServiceAccount } from 'kubernetes-models/v1';
import type { SynthContext } from '../context.js';
import type { ManifestScope } from '../scope.js';
import { labelsFor, stackPropsFrom, type StackProps } from './props.js';

/**
 * The app namespace and the ServiceAccounts, as plain ApiObjects like every other object (the
 * cdk8s-plus constructs they once used cost `qctl synth` a 3.5 MB module for these two kinds).
 * No token is mounted: none of our pods talks to the Kubernetes API.
 */
export function buildNamespace(scope: ManifestScope, props: StackProps): void {
  const chart = scope.file('00-namespace.yaml');
  new ApiObject(chart, 'namespace', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: props.namespace,
      labels: {
        ...labelsFor(props, props.namespace, 'namespace'),
        // Pod Security Admission: every pod here must meet the `restricted` profile.
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
    spec: {},
  });
}

export const SERVICE_ACCOUNTS = {
  api: 'quote-api',
  jobs: 'quote-api-jobs',
  postgres: 'postgres',
  redis: 'redis',
} as const;

export interface ServiceAccountsProps extends StackProps {
  /** Whether the in-cluster Postgres runs (its account). @default true */
  postgres?: boolean;
  /** Whether Redis runs (its account). @default true */
  redis?: boolean;
}

export function serviceAccountsPropsFrom(ctx: SynthContext): ServiceAccountsProps {
  return { ...stackPropsFrom(ctx), postgres: ctx.env.postgres.mode === 'internal', redis: ctx.env.redis.enabled };
}

export function buildServiceAccounts(scope: ManifestScope, props: ServiceAccountsProps): void {
  const chart = scope.file('05-service-accounts.yaml');
  const accounts: Array<[string, string, boolean]> = [
    [SERVICE_ACCOUNTS.api, 'api', true],
    [SERVICE_ACCOUNTS.jobs, 'jobs', true],
    [SERVICE_ACCOUNTS.postgres, 'database', props.postgres ?? true],
    [SERVICE_ACCOUNTS.redis, 'cache', props.redis ?? true],
  ];
  for (const [name, component, wanted] of accounts) {
    if (!wanted) continue;
    const account: IServiceAccount = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: props.namespace, labels: labelsFor(props, name, component) },
      automountServiceAccountToken: false,
    };
    new ApiObject(chart, `sa-${name}`, account);
  }
}
