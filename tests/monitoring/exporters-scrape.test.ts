import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboards, dashboardQueries } from '../../infra/dashboards/index.js';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { buildAlertRules } from '../../infra/monitoring/alert-rules.js';
import { buildPrometheusConfig } from '../../infra/monitoring/scrape-config.js';
import { resolveMonitoringSettings } from '../../infra/monitoring/settings.js';
import { freePort } from '../helpers/ports.js';
import { startTestPostgres, type EmbeddedPostgres } from '../helpers/postgres.js';
import { killAndWait, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { listeningOn, podMetaLabels, startPrometheus, type PrometheusServer } from './prometheus-server.js';
import { requireTool } from '../helpers/tools.js';

/**
 * The exporters for real: Debian's postgres_exporter and redis_exporter (packages
 * prometheus-postgres-exporter, prometheus-redis-exporter) run with the synthesized container
 * args and environment variable names against embedded Postgres and a real redis-server; a real
 * Prometheus scrapes them through the synthesized relabelling, answers the Postgres and Redis
 * dashboards, and puts RedisDown into pending once Redis is stopped.
 */

const NAMESPACE = 'quotes-dev';
type Container = { args: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }> };
type Template = { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { containers: Container[] } };

let database: EmbeddedPostgres;
let redis: RedisServer;
let prometheus: PrometheusServer;
const exporters: ChildProcess[] = [];

function template(objects: KubeObject[], name: string): Template {
  return (objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as unknown as { spec: { template: Template } }).spec
    .template;
}

/** Starts the exporter binary with the synthesized args (listen address moved to loopback:port) and env names. */
function startExporter(binary: string, container: Container, port: number, values: Record<string, string>): ChildProcess {
  const args = container.args.map((arg) => arg.replace(/listen-address=:\d+$/, `listen-address=127.0.0.1:${port}`));
  const env: Record<string, string> = {};
  for (const variable of container.env)
    env[variable.name] = variable.valueFrom ? values[variable.name]! : (values[variable.name] ?? variable.value!);
  const child = spawn(binary, args, { env: { PATH: process.env.PATH!, ...env }, stdio: 'ignore' });
  exporters.push(child);
  return child;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  requireTool('prometheus-postgres-exporter', 'prometheus-postgres-exporter');
  requireTool('prometheus-redis-exporter', 'prometheus-redis-exporter');
  [database, redis] = await Promise.all([startTestPostgres(), startRedisServer()]);
  const synth = await synthesize({ env: 'dev', config: false });
  const pgTemplate = template(synth.objects, 'postgres-exporter');
  const redisTemplate = template(synth.objects, 'redis-exporter');
  const [pgPort, redisPort] = [await freePort(), await freePort()];
  startExporter('prometheus-postgres-exporter', pgTemplate.spec.containers[0], pgPort, {
    DATA_SOURCE_URI: `${database.host}:${database.port}${new URL(database.url).pathname}?sslmode=disable`,
    DATA_SOURCE_USER: database.user,
    DATA_SOURCE_PASS: database.password,
  });
  startExporter('prometheus-redis-exporter', redisTemplate.spec.containers[0], redisPort, {
    REDIS_ADDR: `redis://127.0.0.1:${redis.port}`,
    REDIS_PASSWORD: redis.password,
  });

  const settings = resolveMonitoringSettings({ env: 'dev' });
  const podsJob = buildPrometheusConfig(settings).scrape_configs.find((job) => job.job_name === 'kubernetes-pods')!;
  prometheus = await startPrometheus({
    config: {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['rules.yaml'],
      scrape_configs: [
        {
          job_name: podsJob.job_name,
          relabel_configs: podsJob.relabel_configs,
          static_configs: [
            {
              targets: [`127.0.0.1:${pgPort}`],
              labels: podMetaLabels(listeningOn(pgTemplate, pgPort), { namespace: NAMESPACE, pod: 'postgres-exporter-7b9-abcde' }),
            },
            {
              targets: [`127.0.0.1:${redisPort}`],
              labels: podMetaLabels(listeningOn(redisTemplate, redisPort), { namespace: NAMESPACE, pod: 'redis-exporter-5c6-fghij' }),
            },
          ],
        },
      ],
    },
    ruleFiles: { 'rules.yaml': buildAlertRules(settings.alerts) },
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const child of exporters) await killAndWait(child, 'SIGTERM');
  await redis?.stop();
  await database?.stop();
});

const valueOf = async (expr: string): Promise<string | undefined> => {
  const answer = await prometheus.query(expr);
  expect(answer.status).toBe('success');
  return answer.data?.result?.[0]?.value?.[1];
};

describe('real exporters scraped through the synthesized relabelling', () => {
  it('reports Postgres and Redis up, labelled by app and namespace', async () => {
    expect(
      await waitFor('pg_up', async () =>
        (await valueOf(`pg_up{app="postgres-exporter",namespace="${NAMESPACE}"}`)) === '1' ? true : undefined,
      ),
    ).toBe(true);
    expect(
      await waitFor('redis_up', async () =>
        (await valueOf(`redis_up{app="redis-exporter",namespace="${NAMESPACE}"}`)) === '1' ? true : undefined,
      ),
    ).toBe(true);
  });

  it('answers the Postgres and Redis dashboards with data', async () => {
    const queries = buildDashboards()
      // The PgBouncer dashboard's exporters (prometheus-community pgbouncer_exporter, CloudNativePG's
      // Pooler) cannot run here: prometheus-scrape.test.ts checks its names against their documented
      // lists and evaluates its expressions.
      .filter((file) => ['postgres.json', 'redis.json'].includes(file.fileName))
      .flatMap((file) => dashboardQueries(file.dashboard))
      .map((q) => ({
        where: `${q.dashboard} / ${q.panel}`,
        expr: q.expr.replaceAll('$__rate_interval', '1m').replaceAll('$namespace', NAMESPACE),
      }));
    // rate() panels need two samples; wait for the slowest kind.
    for (const counter of ['redis_commands_processed_total{app="redis-exporter"', 'pg_stat_database_xact_commit{app="postgres-exporter"']) {
      await waitFor(`a rate of ${counter}`, async () =>
        (await valueOf(`sum(rate(${counter},namespace="${NAMESPACE}"}[1m]))`)) !== undefined ? true : undefined,
      );
    }
    const empty: string[] = [];
    for (const { where, expr } of queries) {
      const answer = await prometheus.query(expr);
      expect(answer.status, `${where}: ${answer.error}`).toBe('success');
      if ((answer.data?.result ?? []).length === 0) empty.push(where);
    }
    // Every panel of both dashboards has data from the real exporters.
    expect(empty).toEqual([]);
  });

  it('puts RedisDown into pending once Redis stops answering', async () => {
    await redis.stop(true);
    const state = await waitFor('RedisDown pending', async () =>
      valueOf(`ALERTS{alertname="RedisDown",namespace="${NAMESPACE}"}`).then((v) => (v === '1' ? v : undefined)),
    );
    expect(state).toBe('1');
    const alerts = await prometheus.get('/api/v1/alerts');
    const redisDown = ((alerts.data?.alerts ?? []) as Array<{ labels: Record<string, string>; state: string }>).find(
      (a) => a.labels.alertname === 'RedisDown',
    );
    expect(redisDown?.state).toBe('pending');
    expect(redisDown?.labels).toMatchObject({ severity: 'warning', app: 'redis-exporter', namespace: NAMESPACE });
  });
});
