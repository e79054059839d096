import { describe, expect, it } from 'vitest';
import { connectionBudget } from '../../infra/connection-budget.js';
import { ENVIRONMENT_NAMES, getEnvironment, type EnvironmentName } from '../../infra/environments.js';
import { parseSetArguments } from '../../infra/config.js';

const withSets =
  (env: EnvironmentName, ...pairs: string[]) =>
  () =>
    getEnvironment(env, parseSetArguments(pairs));

describe('connection budget', () => {
  it('every built-in environment fits, with and without the pooler, in every postgres mode', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const budget = connectionBudget(getEnvironment(name));
      expect(budget.total, name).toBeLessThanOrEqual(budget.maxConnections);
      for (const pairs of [['postgres.pooler=pgbouncer'], ['postgres.mode=cnpg'], ['postgres.mode=cnpg', 'postgres.pooler=pgbouncer']]) {
        expect(withSets(name, ...pairs), `${name} ${pairs.join(' ')}`).not.toThrow();
      }
    }
  });

  it('counts prod at its peak: (10 HPA max + 1 surge) × pool 10, the Jobs, the exporter and the reserve', () => {
    const budget = connectionBudget(getEnvironment('prod'));
    expect(budget.lines.map((l) => [l.client, l.connections])).toEqual([
      ['api', 110],
      ['migrate job pool', 2],
      ['seed job pool', 4],
      ['exporter', 1],
      ['reserved', 3],
    ]);
    expect(budget.total).toBe(120);
  });

  it('fails prod with HPA max 10 × pool 10 on max_connections 100, with the arithmetic and the three fixes', () => {
    const broken = withSets('prod', 'postgres.maxConnections=100', 'api.dbPoolMax=10', 'api.hpa.maxReplicas=10');
    expect(broken).toThrow(
      '--set postgres.maxConnections=100 + --set api.dbPoolMax=10 + --set api.hpa.maxReplicas=10: postgres.maxConnections for environment prod ' +
        'is 100 but the connection budget needs 120 (api (10 HPA max + 1 surge) × pool 10 = 110 + migrate job pool 2 + seed job pool 4 ' +
        '+ exporter 1 + reserved superuser_reserved_connections = 3): raise postgres.maxConnections to 120, or lower api.dbPoolMax to 8, ' +
        'or set postgres.pooler=pgbouncer',
    );
    // Each of the three fixes makes it pass.
    for (const fix of ['postgres.maxConnections=120', 'api.dbPoolMax=8', 'postgres.pooler=pgbouncer']) {
      expect(withSets('prod', 'postgres.maxConnections=100', 'api.dbPoolMax=10', fix), fix).not.toThrow();
    }
    // One more connection per pod is over again: the fix named is the largest that fits.
    expect(withSets('prod', 'postgres.maxConnections=100', 'api.dbPoolMax=9')).toThrow(/needs 109/);
  });

  it('counts the fixed replica count when the HPA is off, and the surge pod too', () => {
    // (4 + 1) × 20 + 10 = 110 > 100; (4 + 1) × 18 + 10 = 100 fits exactly.
    expect(withSets('dev', 'api.replicas=4', 'api.dbPoolMax=20')).toThrow(
      /api \(4 replicas \+ 1 surge\) × pool 20 = 100 .*lower api\.dbPoolMax to 18,/,
    );
    expect(withSets('dev', 'api.replicas=4', 'api.dbPoolMax=18')).not.toThrow();
  });

  it('with the pooler counts its server-side pools, and checks its client side admits the API', () => {
    const env = getEnvironment('prod', parseSetArguments(['postgres.pooler=pgbouncer']));
    const budget = connectionBudget(env);
    expect(budget.lines[0]).toEqual({ client: 'pgbouncer', arithmetic: '2 pooler × server pool 20', connections: 40 });
    expect(budget.total).toBe(50);
    expect(withSets('prod', 'postgres.pooler=pgbouncer', 'postgres.maxConnections=40')).toThrow(
      /needs 50 .*raise postgres\.maxConnections to 50, or lower postgres\.pgbouncer\.poolSize to 15$/,
    );
    expect(withSets('prod', 'postgres.pooler=pgbouncer', 'postgres.pgbouncer.maxClientConnections=50')).toThrow(
      'postgres.pgbouncer.maxClientConnections for environment prod is 50 per pooler but the API can open 110 ((10 HPA max + 1 surge) × pool 10) over 2 pooler(s): raise it to 55 or add postgres.pgbouncer.replicas',
    );
  });
});
