import type { EnvironmentSettings } from './settings-schema.js';

/**
 * The Postgres connection budget: every client that can hold a server connection at the
 * worst moment (the HPA at its ceiling, mid rolling update, both Jobs running, the exporter
 * scraping), plus the slots Postgres keeps for superusers, must fit in max_connections.
 * With a pooler the API's pods talk to PgBouncer, and only the pooler's server-side pools
 * count; the Jobs still connect directly (they hold session advisory locks and session SETs,
 * which transaction pooling does not keep).
 */

/** The API Deployment's rollingUpdate.maxSurge: one extra pod, with a full pool, during a rollout. */
export const API_MAX_SURGE = 1;
/** Pool sizes the Jobs open (app/main.ts migrateCommand, app/seed/run.ts createSeedPool). */
export const JOB_POOLS = { migrate: 2, seed: 4 } as const;
/** postgres_exporter holds one connection (database/sql with MaxOpenConns 1). */
export const EXPORTER_CONNECTIONS = 1;
/** superuser_reserved_connections, set on the server so the budget and the server agree. */
export const SUPERUSER_RESERVED_CONNECTIONS = 3;

type BudgetSettings = Pick<EnvironmentSettings, 'api' | 'postgres'>;

export interface BudgetLine {
  client: string;
  /** How the count is made, e.g. "(10 HPA max + 1 surge) × pool 10". */
  arithmetic: string;
  connections: number;
}

export interface ConnectionBudget {
  lines: BudgetLine[];
  total: number;
  maxConnections: number;
}

/** The API pods that can exist at once: the HPA ceiling (or the fixed count) plus the rollout surge. */
export function peakApiPods(api: BudgetSettings['api']): { pods: number; arithmetic: string } {
  const base = api.hpa.enabled ? api.hpa.maxReplicas : api.replicas;
  const label = api.hpa.enabled ? 'HPA max' : base === 1 ? 'replica' : 'replicas';
  return { pods: base + API_MAX_SURGE, arithmetic: `(${base} ${label} + ${API_MAX_SURGE} surge)` };
}

export function connectionBudget(settings: BudgetSettings): ConnectionBudget {
  const { api, postgres } = settings;
  const lines: BudgetLine[] = [];
  if (postgres.pooler === 'pgbouncer') {
    const { replicas, poolSize } = postgres.pgbouncer;
    lines.push({ client: 'pgbouncer', arithmetic: `${replicas} pooler × server pool ${poolSize}`, connections: replicas * poolSize });
  } else {
    const peak = peakApiPods(api);
    lines.push({ client: 'api', arithmetic: `${peak.arithmetic} × pool ${api.dbPoolMax}`, connections: peak.pods * api.dbPoolMax });
  }
  lines.push(
    { client: 'migrate job pool', arithmetic: `${JOB_POOLS.migrate}`, connections: JOB_POOLS.migrate },
    { client: 'seed job pool', arithmetic: `${JOB_POOLS.seed}`, connections: JOB_POOLS.seed },
    { client: 'exporter', arithmetic: `${EXPORTER_CONNECTIONS}`, connections: EXPORTER_CONNECTIONS },
    { client: 'reserved', arithmetic: 'superuser_reserved_connections', connections: SUPERUSER_RESERVED_CONNECTIONS },
  );
  return { lines, total: lines.reduce((sum, line) => sum + line.connections, 0), maxConnections: postgres.maxConnections };
}

/** "api (10 HPA max + 1 surge) × pool 10 = 110"; a plain count is not repeated ("exporter 1"). */
export function describeLine(line: BudgetLine): string {
  return line.arithmetic === String(line.connections)
    ? `${line.client} ${line.connections}`
    : `${line.client} ${line.arithmetic} = ${line.connections}`;
}

/** The budget problem as [path, message], or null when everything fits. */
export function connectionBudgetProblem(settings: BudgetSettings): [string, string] | null {
  const budget = connectionBudget(settings);
  const { api, postgres } = settings;
  const sum = budget.lines.map(describeLine).join(' + ');
  if (budget.total > budget.maxConnections) {
    const others = budget.total - budget.lines[0]!.connections;
    const fixes = [`raise postgres.maxConnections to ${budget.total}`];
    if (postgres.pooler === 'pgbouncer') {
      const fit = Math.floor((budget.maxConnections - others) / postgres.pgbouncer.replicas);
      if (fit >= 1) fixes.push(`lower postgres.pgbouncer.poolSize to ${fit}`);
    } else {
      const fit = Math.floor((budget.maxConnections - others) / peakApiPods(api).pods);
      if (fit >= 1) fixes.push(`lower api.dbPoolMax to ${fit}`);
      fixes.push('set postgres.pooler=pgbouncer');
    }
    return [
      'postgres.maxConnections',
      `is ${budget.maxConnections} but the connection budget needs ${budget.total} (${sum}): ${fixes.join(', or ')}`,
    ];
  }
  if (postgres.pooler === 'pgbouncer') {
    // The pooler's client side must admit every API connection at the peak, spread over its replicas.
    const peak = peakApiPods(api);
    const clients = peak.pods * api.dbPoolMax;
    const { replicas, maxClientConnections } = postgres.pgbouncer;
    if (clients > replicas * maxClientConnections) {
      return [
        'postgres.pgbouncer.maxClientConnections',
        `is ${maxClientConnections} per pooler but the API can open ${clients} (${peak.arithmetic} × pool ${api.dbPoolMax}) over ${replicas} pooler(s): raise it to ${Math.ceil(clients / replicas)} or add postgres.pgbouncer.replicas`,
      ];
    }
  }
  return null;
}
