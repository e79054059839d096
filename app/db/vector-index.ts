import type pg from 'pg';
import { LOCAL_EMBEDDING_MODEL, LOCAL_MAX_NONZERO } from '../embeddings/local.js';
import { EMBEDDING_DIMENSIONS } from '../embeddings/provider.js';

export type VectorIndexKind = 'hnsw' | 'ivfflat';

export interface VectorIndexSettings {
  kind: VectorIndexKind;
  /** IVFFlat only: number of lists (rule of thumb: rows / 1000, at least 1). */
  lists?: number;
  /**
   * HNSW only: graph build parameters; pgvector's defaults (m 16, ef_construction 64) when
   * omitted; 'auto' chooses by the table's size when the index is built (graphForRows).
   */
  hnsw?: HnswGraph | 'auto';
  /** How the session that builds the index is tuned; the server's defaults when omitted. */
  build?: IndexBuildSettings;
}

/**
 * Session settings for an index build. An HNSW graph that does not fit in
 * maintenance_work_mem is built several times slower (100k quotes: 584 s at the server
 * default of 64 MB, 112 s at 1 GB).
 */
export interface IndexBuildSettings {
  /** maintenance_work_mem, in MB. */
  memoryMb: number;
  /** max_parallel_maintenance_workers (0: the building backend alone). */
  parallelWorkers: number;
}

export interface HnswGraph {
  m: number;
  efConstruction: number;
}

/**
 * Up to this many rows the table is small: pgvector's default graph and ef_search 40 find
 * nearly all of the true nearest (recall 0.96 at the shipped 1,423 quotes), and a larger
 * graph would only make every insert and search on the embedded database dearer.
 */
export const SMALL_TABLE_ROWS = 5_000;
/** pgvector's defaults: the graph for small tables. */
export const SMALL_GRAPH: HnswGraph = { m: 16, efConstruction: 64 };
/** At 100,000 rows only this graph reaches recall 0.95 (0.96 at ef_search 100; 16/64: 0.86). */
export const LARGE_GRAPH: HnswGraph = { m: 32, efConstruction: 128 };

/** The graph 'auto' builds for a table of `rows` rows. */
export function graphForRows(rows: number): HnswGraph {
  return rows > SMALL_TABLE_ROWS ? LARGE_GRAPH : SMALL_GRAPH;
}

export type IndexAction = 'created' | 'rebuilt' | 'unchanged';

export interface IndexOutcome {
  action: IndexAction;
  /** Time spent building (0 when unchanged). */
  buildMs: number;
}

/** A pool or one checked-out client: the index steps run on the client holding the migration lock. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export const VECTOR_INDEX_NAME = 'quotes_embedding_idx';

/**
 * A second HNSW index, over the local embedder's rows only, with their vectors as pgvector's
 * `sparsevec`: those vectors are hashed word and trigram features, a few dozen non-zero of
 * 1536 (59 on average over the shipped quotes, 166 at most), and a sparse distance costs
 * only the non-zeros. On the embedded PGlite, where every distance runs in single-threaded
 * WebAssembly, it halves what an uncached search costs (docs/app.md, "Sparse index for the
 * local embedder"). Kept on small tables only (SMALL_TABLE_ROWS, like the graph): larger ones
 * are searched through the main index as measured at 100,000 rows.
 */
export const SPARSE_INDEX_NAME = 'quotes_embedding_local_idx';

export const SPARSE_TYPE = `sparsevec(${EMBEDDING_DIMENSIONS})`;
/** The indexed expression: the search names it the same way so that the planner matches it. */
export const SPARSE_EMBEDDING = `embedding::${SPARSE_TYPE}`;

export function sparseIndexDefinition(): string {
  return `CREATE INDEX IF NOT EXISTS ${SPARSE_INDEX_NAME} ON quotes USING hnsw ((${SPARSE_EMBEDDING}) sparsevec_cosine_ops) WHERE embedding_model = '${LOCAL_EMBEDDING_MODEL}'`;
}

/**
 * Creates the cosine vector index if it is missing, or rebuilds it when its kind or
 * `lists` differ from the settings. Cheap when it already matches. Callers hold the
 * migration lock (see withMigrationLock) so two processes never build it at once.
 * HNSW: better recall/latency, slower to build, no training. IVFFlat: fast to build,
 * needs data present when built (its lists are trained on existing rows).
 */
export async function ensureVectorIndex(
  db: Queryable,
  settings: VectorIndexSettings,
  /** Called only when the index is about to be built, so progress never announces a build that does not happen. */
  beforeBuild?: () => void,
): Promise<IndexOutcome> {
  const { rows } = await db.query<{ indexdef: string }>(
    'SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1',
    [VECTOR_INDEX_NAME],
  );
  const existing = rows[0]?.indexdef;
  const tableRows = await countRows(db);
  await ensureSparseIndex(db, tableRows);
  // 'auto' is resolved by the rows there now: an index built small is rebuilt, under the
  // caller's lock, once the table has outgrown SMALL_TABLE_ROWS.
  if (settings.kind === 'hnsw' && settings.hnsw === 'auto') settings = { ...settings, hnsw: graphForRows(tableRows) };
  if (existing && matches(existing, settings)) return { action: 'unchanged', buildMs: 0 };
  beforeBuild?.();
  const started = performance.now();
  if (existing) await db.query(`DROP INDEX IF EXISTS ${VECTOR_INDEX_NAME}`);
  await buildWith(db, settings.build, () => db.query(indexDefinition(settings)));
  const buildMs = Math.round(performance.now() - started);
  // Fresh statistics, or the planner may keep estimating a handful of rows and choose a
  // sequential scan over the new index (embedded PGlite has no autovacuum to do it later).
  await db.query('ANALYZE quotes');
  return { action: existing ? 'rebuilt' : 'created', buildMs };
}

/**
 * The exact row count: right after a bulk load the planner's estimate may still say the table
 * is empty (no ANALYZE yet), and a count costs little beside an index build.
 */
async function countRows(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ rows: number }>('SELECT count(*)::float8 AS rows FROM quotes');
  return rows[0]?.rows ?? 0;
}

/**
 * The sparse index exists exactly while the table is small. Built with pgvector's default graph
 * (cheap: a sparse distance costs its non-zeros), and present or absent whatever the main
 * index's kind, since it serves only the local embedder's rows.
 */
async function ensureSparseIndex(db: Queryable, tableRows: number): Promise<void> {
  if (tableRows > SMALL_TABLE_ROWS) {
    await db.query(`DROP INDEX IF EXISTS ${SPARSE_INDEX_NAME}`);
    return;
  }
  const { rows } = await db.query<{ present: boolean; supported: boolean }>(
    `SELECT to_regclass('${SPARSE_INDEX_NAME}') IS NOT NULL AS present, to_regtype('sparsevec') IS NOT NULL AS supported`,
  );
  // sparsevec came with pgvector 0.7: on an older server (a managed database that has not
  // upgraded) there is no sparse index, and searches take the main one as before.
  if (rows[0]?.present || !rows[0]?.supported) return;
  await withoutFailing(db, async () => {
    // pgvector's sparse HNSW takes at most 1,000 non-zeros per vector. The local embedder keeps
    // to that, but a row labelled with its model and written otherwise (by hand, a dense vector)
    // would fail the build: such a table keeps the main index only.
    const { rows: fit } = await db.query<{ fits: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM quotes WHERE embedding_model = $1 AND embedding IS NOT NULL
          AND (SELECT count(*) FROM unnest(embedding::real[]) AS value WHERE value <> 0) > ${LOCAL_MAX_NONZERO}) AS fits`,
      [LOCAL_EMBEDDING_MODEL],
    );
    if (fit[0]?.fits) await db.query(sparseIndexDefinition());
  });
}

/**
 * Runs optional index work whose failure must not fail the migration: the sparse index only
 * speeds searches up, and reading every vector for it is where damaged data would surface first
 * (the readiness check names damage properly). Inside a transaction (PGlite's index work, the
 * re-embed swap) a savepoint keeps the transaction usable; outside one SAVEPOINT is refused and
 * a failed statement harms nothing.
 */
async function withoutFailing(db: Queryable, work: () => Promise<void>): Promise<void> {
  const savepoint = await db.query('SAVEPOINT optional_index_work').then(
    () => true,
    () => false,
  );
  try {
    await work();
    if (savepoint) await db.query('RELEASE SAVEPOINT optional_index_work');
  } catch {
    if (savepoint) await db.query('ROLLBACK TO SAVEPOINT optional_index_work');
  }
}

/** Drops both vector indexes (before a bulk load; ensureVectorIndex builds them again). */
export async function dropVectorIndex(db: Queryable): Promise<void> {
  await db.query(`DROP INDEX IF EXISTS ${VECTOR_INDEX_NAME}; DROP INDEX IF EXISTS ${SPARSE_INDEX_NAME}`);
}

/**
 * Runs `build` with the session tuned for it, then puts the session back (the connection
 * returns to a pool). Inside a transaction use buildSettingsSql with SET LOCAL instead.
 */
async function buildWith(db: Queryable, build: IndexBuildSettings | undefined, run: () => Promise<unknown>): Promise<void> {
  if (!build) {
    await run();
    return;
  }
  await db.query(buildSettingsSql(build, 'SET'));
  try {
    await run();
  } finally {
    await db.query('RESET maintenance_work_mem; RESET max_parallel_maintenance_workers');
  }
}

/** The statements that tune a session (SET) or a transaction (SET LOCAL) for an index build. */
export function buildSettingsSql(build: IndexBuildSettings, verb: 'SET' | 'SET LOCAL'): string {
  const memoryMb = Math.max(1, Math.floor(build.memoryMb));
  const workers = Math.max(0, Math.floor(build.parallelWorkers));
  return `${verb} maintenance_work_mem = '${memoryMb}MB'; ${verb} max_parallel_maintenance_workers = ${workers}`;
}

export function indexDefinition(settings: VectorIndexSettings): string {
  if (settings.kind === 'ivfflat') {
    const lists = Math.max(1, Math.floor(settings.lists ?? 100));
    return `CREATE INDEX IF NOT EXISTS ${VECTOR_INDEX_NAME} ON quotes USING ivfflat (embedding vector_cosine_ops) WITH (lists = ${lists})`;
  }
  const hnsw = settings.hnsw === 'auto' ? undefined : settings.hnsw;
  const graph = hnsw ? ` WITH (m = ${Math.floor(hnsw.m)}, ef_construction = ${Math.floor(hnsw.efConstruction)})` : '';
  return `CREATE INDEX IF NOT EXISTS ${VECTOR_INDEX_NAME} ON quotes USING hnsw (embedding vector_cosine_ops)${graph}`;
}

function matches(indexdef: string, settings: VectorIndexSettings): boolean {
  const def = indexdef.toLowerCase();
  if (settings.kind === 'hnsw') {
    const graph = settings.hnsw && settings.hnsw !== 'auto' ? settings.hnsw : SMALL_GRAPH;
    const m = /\bm='?(\d+)/.exec(def)?.[1] ?? '16';
    const efConstruction = /ef_construction='?(\d+)/.exec(def)?.[1] ?? '64';
    return def.includes('using hnsw') && Number(m) === Math.floor(graph.m) && Number(efConstruction) === Math.floor(graph.efConstruction);
  }
  const lists = Math.max(1, Math.floor(settings.lists ?? 100));
  return def.includes('using ivfflat') && def.includes(`lists='${lists}'`);
}
