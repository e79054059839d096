import type { DatabaseEndpoint } from '../charts/database.js';
import type { Labels } from '../labels.js';

/**
 * What monitoring watches, as the stack's constructs expose it: the exporters connect to the
 * database and cache they are given, and the operator mode's ServiceMonitors and PodMonitors
 * select the pods of the parts that run.
 */
/** A Service in the app namespace and its pods. */
export interface ScrapedService {
  readonly serviceName: string;
  readonly selector: Labels;
}

export interface MonitoredParts {
  /** The API: its pods and their metrics (http) port. */
  api: ScrapedService & { readonly containerPort: number };
  /** The database server (Postgres, Cnpg or an ExternalDatabase). */
  database: DatabaseEndpoint;
  /** The cache, when it runs. */
  redis?: ScrapedService & { readonly port: number };
  /** Our PgBouncer, when it runs (its exporter sidecar is scraped). */
  pgbouncer?: ScrapedService;
  /** CloudNativePG's instances (and Pooler), when they serve the database: selected by their operator labels. */
  cnpg?: { readonly selector: Labels; readonly pooler?: { readonly selector: Labels } };
}
