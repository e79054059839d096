/** Dimensions of OpenAI text-embedding-3-small, and so of the `quotes.embedding` column. */
export const EMBEDDING_DIMENSIONS = 1536;

export interface EmbeddingResult {
  /** One vector per input text, in input order, each EMBEDDING_DIMENSIONS long. */
  vectors: number[][];
  /** Tokens the provider reports having used (the API's usage field; words for the local embedder). */
  tokens: number;
  /** HTTP requests made to produce this result, retries included. */
  requests: number;
}

export interface EmbeddingProvider {
  readonly kind: 'openai' | 'local';
  /** Recorded with every stored vector; vectors of different models are never compared. */
  readonly model: string;
  readonly dimensions: number;
  embed(texts: string[], options?: { signal?: AbortSignal }): Promise<EmbeddingResult>;
}

/** Raised when the embeddings service cannot answer (after retries); the API maps it to 503. */
export class EmbeddingUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddingUnavailableError';
  }
}
