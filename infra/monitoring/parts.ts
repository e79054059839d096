import type { DatabaseEndpoint } from '../charts/database.js';
import type { Labels } from '../labels.js';

/**
 * What monitoring watches, as the stack's constructs expose it: the exporters connect to the
 * database and cache they are given, and the operator mode's ServiceMonitors and PodMonitors
 * select the pods of the parts that run.
 */
export interface MonitoredParts {
  /** The API: its pods and their metrics (http) port. */
  api: { readonly selector: Labels; readonly containerPort: number };
  /** The database server (Postgres, Cnpg or an ExternalDatabase). */
  database: DatabaseEndpoint;
  /** The cache, when it runs. */
  redis?: object;
  /** Our PgBouncer, when it runs (its exporter sidecar is scraped). */
  pgbouncer?: object;
  /** CloudNativePG's instances (and Pooler), when they serve the database: selected by their operator labels. */
  cnpg?: { readonly selector: Labels; readonly pooler?: { readonly selector: Labels } };
}
