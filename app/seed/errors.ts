/**
 * An error the seeder's caller can explain in one line. `kind` decides the exit code:
 * `usage` (bad source spec, unreadable file, unreachable database or source) -> 2,
 * `failed` (the job ran and could not finish, e.g. embeddings kept failing) -> 1.
 */
export class SeedError extends Error {
  readonly kind: 'usage' | 'failed';
  constructor(message: string, kind: 'usage' | 'failed' = 'usage', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SeedError';
    this.kind = kind;
  }
}
