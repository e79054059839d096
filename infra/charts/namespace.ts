import { ApiObject } from 'cdk8s';
import type { IServiceAccount } from 'kubernetes-models/v1';
import type { SynthContext } from '../context.js';
import type { ManifestScope } from '../scope.js';

/**
 * The app namespace and the ServiceAccounts, as plain ApiObjects like every other object (the
 * cdk8s-plus constructs they once used cost `qctl synth` a 3.5 MB module for these two kinds).
 * No token is mounted: none of our pods talks to the Kubernetes API.
 */
export function buildNamespace(scope: ManifestScope, ctx: SynthContext): void {
  const chart = scope.file('00-namespace.yaml');
  new ApiObject(chart, 'namespace', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ctx.namespace,
      labels: {
        ...ctx.labels(ctx.namespace, 'namespace'),
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

export function buildServiceAccounts(scope: ManifestScope, ctx: SynthContext): void {
  const chart = scope.file('05-service-accounts.yaml');
  const accounts: Array<[string, string, boolean]> = [
    [SERVICE_ACCOUNTS.api, 'api', true],
    [SERVICE_ACCOUNTS.jobs, 'jobs', true],
    [SERVICE_ACCOUNTS.postgres, 'database', ctx.env.postgres.mode === 'internal'],
    [SERVICE_ACCOUNTS.redis, 'cache', ctx.env.redis.enabled],
  ];
  for (const [name, component, wanted] of accounts) {
    if (!wanted) continue;
    const account: IServiceAccount = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: ctx.namespace, labels: ctx.labels(name, component) },
      automountServiceAccountToken: false,
    };
    new ApiObject(chart, `sa-${name}`, account);
  }
}
