import type { SynthContext } from './context.js';
import type { QuoteStack } from './extension.js';
import type { ManifestScope } from './scope.js';
import { appConfigPropsFrom, buildAppConfig } from './charts/app-config.js';
import { buildCnpg, cnpgPropsFrom } from './charts/cnpg.js';
import { ExternalDatabase, type DatabaseEndpoint } from './charts/database.js';
import { buildJobs, jobsPropsFrom } from './charts/jobs.js';
import { buildNamespace, buildServiceAccounts, serviceAccountsPropsFrom } from './charts/namespace.js';
import { buildNetworkPolicies, networkPoliciesPropsFrom } from './charts/network-policies.js';
import { buildPgbouncer, pgbouncerPropsFrom } from './charts/pgbouncer.js';
import { buildPostgres, postgresPropsFrom } from './charts/postgres.js';
import { stackPropsFrom } from './charts/props.js';
import { buildQuoteApi, quoteApiPropsFrom } from './charts/quote-api.js';
import { buildRedis, redisPropsFrom } from './charts/redis.js';
import { buildRouting, routingPropsFrom } from './charts/routing.js';
import { buildMonitoring } from './monitoring/index.js';

/**
 * Every stack of one environment, in one place. Each part is a cdk8s Construct with its own
 * small typed props (defaults documented on each field), created in the chart of the file it
 * belongs in, whose prefix is its deploy phase (see phases.ts); its `…PropsFrom(ctx, …)` maps
 * the resolved environment onto the props, and what one part needs of another (a host, a
 * port, a Secret, a selector, a ServiceAccount) comes from that part's properties here, never
 * from names derived again from the settings. The parts that others wire to are returned.
 *
 * EXTENSION POINT: your own objects do not go here but in qctl.extensions.ts (infra/extension.ts),
 * which receives the returned stack. buildMonitoring picks its builders by ctx.monitoring
 * (self|operator|none); ctx.env.monitoring carries that stack's own settings.
 */
export function buildStacks(scope: ManifestScope, ctx: SynthContext): QuoteStack {
  const namespace = buildNamespace(scope, stackPropsFrom(ctx));
  const serviceAccounts = buildServiceAccounts(scope, serviceAccountsPropsFrom(ctx));

  const postgres = buildPostgres(scope, withAccount(postgresPropsFrom(ctx), serviceAccounts.postgres));
  const cnpg = buildCnpg(scope, cnpgPropsFrom(ctx));
  // The server the Jobs and the exporter reach directly; the API goes through the pooler when one runs.
  const database: DatabaseEndpoint = postgres ?? cnpg ?? new ExternalDatabase(ctx.env.postgres.externalHost!, ctx.env.postgres.port);
  const pgbouncer = buildPgbouncer(scope, pgbouncerPropsFrom(ctx, database));
  const pooler = pgbouncer ?? cnpg?.pooler;
  const redis = buildRedis(scope, withAccount(redisPropsFrom(ctx), serviceAccounts.redis));

  const appConfig = buildAppConfig(scope, appConfigPropsFrom(ctx, database));
  const jobs = buildJobs(scope, jobsPropsFrom(ctx, { database, serviceAccountName: serviceAccounts.jobs.serviceAccountName }));
  const api = buildQuoteApi(
    scope,
    quoteApiPropsFrom(ctx, {
      database,
      pooler,
      configHash: appConfig.configHash,
      serviceAccountName: serviceAccounts.api.serviceAccountName,
    }),
  );
  const routing = buildRouting(scope, routingPropsFrom(ctx, api));
  const networkPolicies = buildNetworkPolicies(
    scope,
    networkPoliciesPropsFrom(ctx, { api, migrate: jobs.migrate, seed: jobs.seed, database, pooler, redis }, cnpg?.statusPort),
  );
  const monitoring = buildMonitoring(scope, ctx, { api, database, redis, pgbouncer, cnpg });
  return {
    env: ctx.env.name,
    namespace: ctx.namespace,
    namespaceObject: namespace,
    serviceAccounts,
    appConfig,
    api,
    routing,
    postgres,
    cnpg,
    pgbouncer,
    database,
    redis,
    jobs,
    networkPolicies,
    monitoring,
  };
}

/** A workload's props with its ServiceAccount's name (none: the part does not run). */
function withAccount<P extends object>(props: P | undefined, account: { serviceAccountName: string } | undefined): P | undefined {
  return props && account ? { ...props, serviceAccountName: account.serviceAccountName } : props;
}
