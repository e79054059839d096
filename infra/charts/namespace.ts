import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IServiceAccount } from 'kubernetes-models/v1';
import type { SynthContext } from '../context.js';
import type { ManifestScope } from '../scope.js';
import { labelsFor, stackPropsFrom, type StackProps } from './props.js';

/**
 * The app namespace and the ServiceAccounts, as plain ApiObjects like every other object (the
 * cdk8s-plus constructs they once used cost `qctl synth` a 3.5 MB module for these two kinds).
 * No token is mounted: none of our pods talks to the Kubernetes API.
 */
export function buildNamespace(scope: ManifestScope, props: StackProps): Namespace {
  return new Namespace(scope.file('00-namespace.yaml'), 'namespace', props);
}

/**
 * The app namespace (`props.namespace`), with Pod Security `restricted` enforced. Exposes
 * `.name` and `.apiObject`.
 */
export class Namespace extends Construct {
  readonly name: string;
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id);
    this.name = props.namespace;
    this.apiObject = new ApiObject(this, 'namespace', {
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
}

/** The default account names; the stack wires each workload to its ServiceAccounts' `.serviceAccountName`. */
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

export function buildServiceAccounts(scope: ManifestScope, props: ServiceAccountsProps): ServiceAccounts {
  return new ServiceAccounts(scope.file('05-service-accounts.yaml'), 'service-accounts', props);
}

/** One ServiceAccount that mounts no token. Exposes `.serviceAccountName` for a pod spec and `.apiObject`. */
export class ServiceAccount extends Construct {
  readonly serviceAccountName: string;
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: StackProps & { name: string; component: string }) {
    super(scope, id);
    this.serviceAccountName = props.name;
    const account: IServiceAccount = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: props.name, namespace: props.namespace, labels: labelsFor(props, props.name, props.component) },
      automountServiceAccountToken: false,
    };
    this.apiObject = new ApiObject(this, 'sa', account);
  }
}

/**
 * The stack's ServiceAccounts (05-service-accounts.yaml): `.api`, `.jobs`, and `.postgres` /
 * `.redis` when those run (undefined otherwise). The workloads take their
 * `.serviceAccountName` as their `serviceAccountName` prop.
 */
export class ServiceAccounts extends Construct {
  readonly api: ServiceAccount;
  readonly jobs: ServiceAccount;
  readonly postgres?: ServiceAccount;
  readonly redis?: ServiceAccount;

  constructor(scope: Construct, id: string, props: ServiceAccountsProps) {
    super(scope, id);
    const account = (name: string, component: string) => new ServiceAccount(this, `sa-${name}`, { ...props, name, component });
    this.api = account(SERVICE_ACCOUNTS.api, 'api');
    this.jobs = account(SERVICE_ACCOUNTS.jobs, 'jobs');
    if (props.postgres ?? true) this.postgres = account(SERVICE_ACCOUNTS.postgres, 'database');
    if (props.redis ?? true) this.redis = account(SERVICE_ACCOUNTS.redis, 'cache');
  }
}
