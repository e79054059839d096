/** An error the API answers as JSON `{error, message}` with its status code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, code = 'bad_request') => new HttpError(400, code, message);

/**
 * The stored vectors were made by another model than the configured one. Comparing them
 * would return confident nonsense, so search refuses and says how to fix it.
 */
export class EmbeddingModelMismatchError extends HttpError {
  constructor(configured: string, stored: string[]) {
    super(
      503,
      'embedding_model_mismatch',
      `stored quote vectors were made with ${stored.map((m) => `"${m}"`).join(', ')} but this service embeds queries with "${configured}": ` +
        're-embed the quotes with `qctl seed --reembed` (or set EMBEDDING_MODEL / OPENAI_API_KEY back to match)',
    );
  }
}
