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
  /** With a read replica: whether reads go to it (in sync) or to the primary. For /readyz, never fatal. */
  replicaState?(): 'in-sync' | 'not-in-sync';
  close(): Promise<void>;
}
