import type pg from 'pg';

export type VectorIndexKind = 'hnsw' | 'ivfflat';

export interface VectorIndexSettings {
  kind: VectorIndexKind;
  /** IVFFlat only: number of lists (rule of thumb: rows / 1000, at least 1). */
  lists?: number;
}

export const VECTOR_INDEX_NAME = 'quotes_embedding_idx';

/**
 * Creates the cosine vector index if it is missing, or rebuilds it when its kind or
 * `lists` differ from the settings. Cheap when it already matches.
 * HNSW: better recall/latency, slower to build, no training. IVFFlat: fast to build,
 * needs data present when built (its lists are trained on existing rows).
 */
export async function ensureVectorIndex(pool: pg.Pool, settings: VectorIndexSettings): Promise<'created' | 'rebuilt' | 'unchanged'> {
  const wanted = indexDefinition(settings);
  const { rows } = await pool.query<{ indexdef: string }>(
    'SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1',
    [VECTOR_INDEX_NAME],
  );
  const existing = rows[0]?.indexdef;
  if (existing && matches(existing, settings)) return 'unchanged';
  if (existing) await pool.query(`DROP INDEX IF EXISTS ${VECTOR_INDEX_NAME}`);
  await pool.query(wanted);
  // Fresh statistics, or the planner may keep estimating a handful of rows and choose a
  // sequential scan over the new index (embedded PGlite has no autovacuum to do it later).
  await pool.query('ANALYZE quotes');
  return existing ? 'rebuilt' : 'created';
}

export async function dropVectorIndex(pool: pg.Pool): Promise<void> {
  await pool.query(`DROP INDEX IF EXISTS ${VECTOR_INDEX_NAME}`);
}

export function indexDefinition(settings: VectorIndexSettings): string {
  if (settings.kind === 'ivfflat') {
    const lists = Math.max(1, Math.floor(settings.lists ?? 100));
    return `CREATE INDEX IF NOT EXISTS ${VECTOR_INDEX_NAME} ON quotes USING ivfflat (embedding vector_cosine_ops) WITH (lists = ${lists})`;
  }
  return `CREATE INDEX IF NOT EXISTS ${VECTOR_INDEX_NAME} ON quotes USING hnsw (embedding vector_cosine_ops)`;
}

function matches(indexdef: string, settings: VectorIndexSettings): boolean {
  const def = indexdef.toLowerCase();
  if (settings.kind === 'hnsw') return def.includes('using hnsw');
  const lists = Math.max(1, Math.floor(settings.lists ?? 100));
  return def.includes('using ivfflat') && def.includes(`lists='${lists}'`) ;
}
