import type { Cache } from '../cache/cache.js';
import type { AppConfig } from '../config.js';
import type { EmbeddingProvider } from '../embeddings/provider.js';
import type { AppMetrics } from '../observability/metrics.js';
import type { QuoteRepository } from '../quotes/repository.js';
import type { SearchService } from '../quotes/search-service.js';
import type { Readiness } from '../readiness.js';

/** What the route modules need; built once by main.ts (or a test). */
export interface AppContext {
  config: AppConfig;
  repository: QuoteRepository;
  search: SearchService;
  embedder: EmbeddingProvider;
  cache: Cache;
  metrics: AppMetrics;
  readiness: Readiness;
}
