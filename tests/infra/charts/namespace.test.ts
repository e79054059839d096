import { describe, expect, it } from 'vitest';
import { buildNamespace, buildServiceAccounts } from '../../../infra/charts/namespace.js';
import { PROPS, synthChart } from './synth-chart.js';

describe('buildNamespace', () => {
  it('is the namespace with Pod Security restricted enforced, in phase namespaces', () => {
    const [[namespace]] = synthChart((scope) => buildNamespace(scope, PROPS), '00-namespace.yaml') as [[any]];
    expect(namespace.metadata.name).toBe('quotes-test');
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'qctl.dev/env': 'dev' });
    expect(namespace.metadata.annotations).toEqual({ 'qctl.dev/phase': 'namespaces' });
  });
});

describe('buildServiceAccounts', () => {
  const names = (props: Parameters<typeof buildServiceAccounts>[1]) =>
    synthChart((scope) => buildServiceAccounts(scope, props), '05-service-accounts.yaml')[0]!.map((o) => o.metadata.name);

  it('by default: one account each for the API, the Jobs, Postgres and Redis, none mounting a token', () => {
    const [objects] = synthChart((scope) => buildServiceAccounts(scope, PROPS), '05-service-accounts.yaml');
    expect(objects!.map((o) => o.metadata.name)).toEqual(['quote-api', 'quote-api-jobs', 'postgres', 'redis']);
    expect(objects!.every((o) => o.automountServiceAccountToken === false && o.metadata.namespace === 'quotes-test')).toBe(true);
  });

  it('leaves out the accounts of databases that do not run', () => {
    expect(names({ ...PROPS, postgres: false })).toEqual(['quote-api', 'quote-api-jobs', 'redis']);
    expect(names({ ...PROPS, redis: false })).toEqual(['quote-api', 'quote-api-jobs', 'postgres']);
  });
});
