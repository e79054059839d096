/**
 * A string cache with TTLs. Implementations never throw: a failing backend answers
 * "miss" (and counts an error) so that the API keeps serving without its cache.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  /** undefined on a miss or when the backend failed. */
  get(key: string): Promise<{ value?: string; error?: boolean }>;
  set(key: string, value: string, ttlSeconds: number): Promise<{ error?: boolean }>;
  /** For /readyz: reported, never fatal. */
  state(): 'ready' | 'connecting' | 'down';
  close(): Promise<void>;
}
