import type OpenAI from 'openai';
import { EMBEDDING_DIMENSIONS, EmbeddingUnavailableError, type EmbeddingProvider, type EmbeddingResult } from './provider.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundedFetch } from '../bounded-body.js';
import { backoffDelay } from '../seed/retry.js';

/** 2048 inputs of 1536 base64 floats are ~17 MB; a larger answer is not an embeddings answer. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface OpenAIEmbedderOptions {
  apiKey: string;
  /** An OpenAI-compatible server (Azure, vLLM, a local proxy...); default api.openai.com. */
  baseURL?: string;
  model?: string;
  /** Per HTTP attempt. */
  timeoutMs?: number;
  /** Retries after the first attempt, on 429, 5xx, timeouts and connection errors. */
  maxRetries?: number;
  /** First backoff step; doubles per retry (with jitter), capped at maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Inputs per request (the API accepts up to 2048; smaller batches keep requests under the token cap). */
  batchSize?: number;
  /** Called once per HTTP attempt, for metrics. */
  onAttempt?: (outcome: 'success' | 'error', seconds: number) => void;
}

/**
 * Embeddings from the OpenAI API (or a compatible server) through the official SDK.
 * The SDK asks for base64 and decodes it to floats. Retries are ours rather than the SDK's
 * so that every attempt is counted and timed, and Retry-After is honoured up to a cap.
 */
export class OpenAIEmbedder implements EmbeddingProvider {
  readonly kind = 'openai' as const;
  readonly model: string;
  readonly dimensions = EMBEDDING_DIMENSIONS;
  private readonly clientOptions: ConstructorParameters<typeof OpenAI>[0];
  private client?: OpenAI;
  private readonly maxRetries: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly batchSize: number;
  private readonly onAttempt?: OpenAIEmbedderOptions['onAttempt'];

  constructor(options: OpenAIEmbedderOptions) {
    this.model = options.model ?? 'text-embedding-3-small';
    this.maxRetries = options.maxRetries ?? 3;
    this.baseBackoffMs = options.baseBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 8_000;
    this.batchSize = Math.max(1, Math.min(2048, options.batchSize ?? 256));
    this.onAttempt = options.onAttempt;
    this.clientOptions = {
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs ?? 10_000,
      maxRetries: 0,
      fetch: boundedFetch(MAX_ANSWER_BYTES, 'the embeddings server'),
    };
  }

  /** The SDK loads on the first request, not at start-up: it is a large import the ready path does not need. */
  private async sdkClient(): Promise<OpenAI> {
    if (!this.client) {
      SDK ??= (await import('openai')).default;
      this.client = new SDK(this.clientOptions);
    }
    return this.client;
  }

  async embed(texts: string[], options: { signal?: AbortSignal } = {}): Promise<EmbeddingResult> {
    const result: EmbeddingResult = { vectors: [], tokens: 0, requests: 0 };
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      const part = await this.embedBatch(batch, options.signal);
      result.vectors.push(...part.vectors);
      result.tokens += part.tokens;
      result.requests += part.requests;
    }
    return result;
  }

  /**
   * text-embedding-3-* models shorten their vectors on request (`dimensions`): text-embedding-3-large
   * gives 3072 by default, which the 1536-dimension column cannot store. Older models take no
   * `dimensions` and must give 1536 on their own (checked below).
   */
  private request(input: string[]): { model: string; input: string[]; dimensions?: number } {
    return /^text-embedding-3-/.test(this.model) ? { model: this.model, input, dimensions: this.dimensions } : { model: this.model, input };
  }

  private async embedBatch(input: string[], signal?: AbortSignal): Promise<EmbeddingResult> {
    const client = await this.sdkClient();
    let requests = 0;
    for (let attempt = 0; ; attempt++) {
      requests++;
      const started = performance.now();
      try {
        const response = await withRequestSignal(signal, (requestSignal) =>
          client.embeddings.create(this.request(input), { signal: requestSignal }),
        );
        this.onAttempt?.('success', (performance.now() - started) / 1000);
        const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        if (vectors.length !== input.length) {
          throw new EmbeddingUnavailableError(`embeddings server returned ${vectors.length} vectors for ${input.length} inputs`);
        }
        for (const v of vectors) {
          if (v.length !== this.dimensions) {
            throw new EmbeddingUnavailableError(
              `model "${this.model}" returned ${v.length}-dimension vectors; the quotes table stores ${this.dimensions}: use a ${this.dimensions}-dimension model such as text-embedding-3-small`,
            );
          }
        }
        return { vectors, tokens: response.usage?.total_tokens ?? 0, requests };
      } catch (error) {
        if (error instanceof EmbeddingUnavailableError) throw error;
        this.onAttempt?.('error', (performance.now() - started) / 1000);
        if (signal?.aborted) throw error;
        const retryable = isRetryable(error);
        if (!retryable || attempt >= this.maxRetries) {
          throw new EmbeddingUnavailableError(describe(error, requests, retryable), { cause: error });
        }
        await sleep(this.backoff(attempt, error), undefined, { signal });
      }
    }
  }

  private backoff(attempt: number, error: unknown): number {
    const retryAfter = retryAfterMs(error);
    if (retryAfter !== undefined) return Math.min(retryAfter, this.maxBackoffMs);
    // Jittered: many pods retrying a rate limit at once should not retry in lockstep.
    return backoffDelay(attempt, this.baseBackoffMs, this.maxBackoffMs);
  }
}

/**
 * Runs one SDK request with a signal of its own that follows `signal`. The SDK adds an abort
 * listener to the signal it is given and never removes it: handed the run's one long-lived
 * signal, every request and retry of a seed left one behind, and the 11th made Node warn of a
 * leak (MaxListenersExceededWarning). Ours is removed when the request ends; the SDK's stays on
 * a signal that is dropped with the request.
 */
async function withRequestSignal<T>(signal: AbortSignal | undefined, run: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (!signal) return run(undefined);
  signal.throwIfAborted();
  const request = new AbortController();
  const forward = (): void => request.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  try {
    return await run(request.signal);
  } finally {
    signal.removeEventListener('abort', forward);
  }
}

/** The SDK's class, set by the first sdkClient(); the error helpers below only run after a request. */
let SDK: typeof OpenAI | undefined;

function isRetryable(error: unknown): boolean {
  const OpenAI = SDK!;
  if (error instanceof OpenAI.APIConnectionError) return true; // includes timeouts
  if (error instanceof OpenAI.APIError) {
    const status = error.status ?? 0;
    return status === 408 || status === 409 || status === 429 || status >= 500;
  }
  return false;
}

function retryAfterMs(error: unknown): number | undefined {
  const OpenAI = SDK!;
  if (!(error instanceof OpenAI.APIError) || !error.headers) return undefined;
  const headers = error.headers as Headers;
  const ms = Number(headers.get?.('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(headers.get?.('retry-after'));
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  return undefined;
}

function describe(error: unknown, requests: number, retryable: boolean): string {
  const OpenAI = SDK!;
  const after = retryable ? ` after ${requests} attempt${requests === 1 ? '' : 's'}` : '';
  if (error instanceof OpenAI.APIConnectionTimeoutError) return `embeddings server timed out${after}`;
  if (error instanceof OpenAI.APIConnectionError) return `embeddings server unreachable${after}: ${error.message}`;
  if (error instanceof OpenAI.APIError) {
    if (error.status === 401) return 'embeddings server rejected the API key (401): check OPENAI_API_KEY';
    return `embeddings server answered ${error.status ?? 'an error'}${after}: ${error.message}`;
  }
  return `embedding failed: ${error instanceof Error ? error.message : String(error)}`;
}
