import type { AppConfig } from '../config.js';
import type { AppMetrics } from '../observability/metrics.js';
import { LocalEmbedder } from './local.js';
import { OpenAIEmbedder } from './openai.js';
import type { EmbeddingProvider } from './provider.js';

export type { EmbeddingProvider } from './provider.js';
export { EmbeddingUnavailableError, EMBEDDING_DIMENSIONS } from './provider.js';

interface InfoLog {
  info(message: string): void;
}
interface PinoLikeLog {
  info(obj: object, message: string): void;
}

/** The part of the service config that chooses and tunes the embedding provider. */
export type EmbeddingConfig = Pick<
  AppConfig,
  'openaiApiKey' | 'openaiBaseUrl' | 'embeddingModel' | 'embeddingTimeoutMs' | 'embeddingMaxRetries'
>;

export interface EmbeddingProviderOptions {
  metrics?: Pick<AppMetrics, 'embeddingRequests' | 'embeddingDuration'>;
  /** Test hook: shorten the OpenAI retry backoff. */
  baseBackoffMs?: number;
  batchSize?: number;
}

/**
 * OpenAI when OPENAI_API_KEY is set; otherwise the offline local embedder, and the log
 * says so (its vectors are lexical and recorded under a different model name).
 * `log` is a pino logger or anything with `info(message)`.
 */
export function createEmbeddingProvider(
  config: EmbeddingConfig,
  log?: InfoLog | PinoLikeLog,
  options: EmbeddingProviderOptions = {},
): EmbeddingProvider {
  const metrics = options.metrics;
  if (config.openaiApiKey) {
    const provider = new OpenAIEmbedder({
      apiKey: config.openaiApiKey,
      baseURL: config.openaiBaseUrl,
      model: config.embeddingModel,
      timeoutMs: config.embeddingTimeoutMs,
      maxRetries: config.embeddingMaxRetries,
      baseBackoffMs: options.baseBackoffMs,
      batchSize: options.batchSize,
      onAttempt: metrics
        ? (outcome, seconds) => {
            metrics.embeddingRequests.inc({ provider: 'openai', outcome });
            metrics.embeddingDuration.observe({ provider: 'openai' }, seconds);
          }
        : undefined,
    });
    logInfo(
      log,
      { provider: 'openai', model: provider.model, baseURL: config.openaiBaseUrl ?? 'https://api.openai.com/v1' },
      `embeddings: OpenAI model ${provider.model}`,
    );
    return provider;
  }
  const local = new LocalEmbedder();
  logInfo(
    log,
    { provider: 'local', model: local.model },
    `embeddings: OPENAI_API_KEY is not set, using the offline local embedder (model ${local.model}; lexical, not semantic). Set OPENAI_API_KEY for ${config.embeddingModel}.`,
  );
  if (!metrics) return local;
  return {
    kind: local.kind,
    model: local.model,
    dimensions: local.dimensions,
    async embed(texts) {
      const started = performance.now();
      const result = await local.embed(texts);
      metrics.embeddingRequests.inc({ provider: 'local', outcome: 'success' });
      metrics.embeddingDuration.observe({ provider: 'local' }, (performance.now() - started) / 1000);
      return result;
    },
  };
}

function logInfo(log: InfoLog | PinoLikeLog | undefined, fields: object, message: string): void {
  if (!log) return;
  // pino takes (fields, message); a plain logger takes (message).
  if (log.info.length >= 2 || isPino(log)) (log as PinoLikeLog).info(fields, message);
  else (log as InfoLog).info(message);
}

function isPino(log: unknown): boolean {
  return typeof (log as { child?: unknown }).child === 'function' && typeof (log as { level?: unknown }).level === 'string';
}
