import type pg from 'pg';
import type { Cache } from './cache/cache.js';
import { formatDataDamage, type DataDamage } from './db/data-damage.js';
import type { QuoteDataProbe } from './db/data-probe.js';

export interface ReadinessReport {
  ready: boolean;
  /** Why not ready, in one line; absent when ready. */
  reason?: string;
  database: 'ok' | 'unreachable' | 'not_migrated' | 'damaged';
  /** Set when a file of the quotes table, its TOAST data or an index cannot be read. */
  damage?: DataDamage;
  migrations: { current: number; expected: number };
  cache: { kind: Cache['kind']; state: ReturnType<Cache['state']>; replica?: ReturnType<NonNullable<Cache['replicaState']>> };
  shuttingDown: boolean;
}

/**
 * Ready means: not shutting down, Postgres answers, its schema is at the version this code
 * expects, and the quotes read the way the API reads them (the data probe: a search and the
 * newest quote, answered from a short cache). Redis is reported but never makes the pod
 * unready (the cache fails open).
 */
export class Readiness {
  shuttingDown = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: Cache,
    private readonly expectedVersion: number,
    private readonly timeoutMs = 2_000,
    private readonly dataProbe?: QuoteDataProbe,
  ) {}

  async check(): Promise<ReadinessReport> {
    const report: ReadinessReport = {
      ready: false,
      database: 'unreachable',
      migrations: { current: 0, expected: this.expectedVersion },
      cache: {
        kind: this.cache.kind,
        state: this.cache.state(),
        ...(this.cache.replicaState ? { replica: this.cache.replicaState() } : {}),
      },
      shuttingDown: this.shuttingDown,
    };
    if (this.shuttingDown) {
      report.reason = 'shutting down';
      return report;
    }
    try {
      report.migrations.current = await withTimeout(this.schemaVersion(), this.timeoutMs);
      report.database = report.migrations.current >= this.expectedVersion ? 'ok' : 'not_migrated';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/schema_migrations/.test(message) && /does not exist/.test(message)) {
        report.database = 'not_migrated';
      } else {
        report.reason = `database unreachable: ${message}`;
        return report;
      }
    }
    if (report.database === 'not_migrated') {
      report.reason = `database schema is at version ${report.migrations.current}, this build needs ${this.expectedVersion}: run the migrate job (\`node app/main.ts migrate\`)`;
      return report;
    }
    if (this.dataProbe) {
      try {
        const damage = await withTimeout(this.dataProbe.check(), this.timeoutMs);
        if (damage) {
          report.database = 'damaged';
          report.damage = damage;
          report.reason = formatDataDamage(damage);
          return report;
        }
      } catch (error) {
        report.reason = `quotes unreadable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
        return report;
      }
    }
    report.ready = true;
    return report;
  }

  private async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ version: number }>('SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations');
    return rows[0]?.version ?? 0;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
