import type pg from 'pg';

/** A relation whose files Postgres refused to read, and what brings it back. */
export interface DataDamage {
  /** Postgres' own words, first line (names the file or the relation). */
  detail: string;
  /** The damaged file as Postgres named it (base/5/16806), when it did. */
  file?: string;
  /** The relation that file belongs to, and of what kind. */
  relation?: string;
  kind: 'table' | 'index' | 'toast' | 'unknown';
  /** One sentence: the way back. */
  fix: string;
}

// SQLSTATE class XX (data_corrupted, index_corrupted) and 58030 (io_error) are what Postgres
// answers when the bytes of a file are wrong or missing; a message check catches builds that
// report them as a plain internal error.
const DAMAGE_CODES = new Set(['XX001', 'XX002', '58030']);
const DAMAGE_WORDS =
  /invalid page in block|could not read block|read only \d+ of \d+ bytes|missing chunk number|unexpected chunk|unexpected zero page|contains unexpected|invalid memory alloc request size|compressed (?:pglz )?data is corrupt|could not open file "(?:base|global)\//i;

/** Whether an error from a query means the database files are damaged (not a bug, not the network). */
export function isDataDamage(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && DAMAGE_CODES.has(e.code)) return true;
  return typeof e.message === 'string' && DAMAGE_WORDS.test(e.message);
}

/**
 * Names the relation behind a damage error and its fix. Asks the catalog (which lives in other
 * files and is still readable when a table or an index is not) which relation a file path or a
 * TOAST table belongs to; says less, never throws, when the catalog cannot answer either.
 * `rebuild` is how the operator re-creates lost table data (a re-seed or a restore).
 */
export async function describeDataDamage(pool: Pick<pg.Pool, 'query'>, error: unknown, rebuild: string): Promise<DataDamage> {
  const detail = String((error as { message?: unknown }).message ?? error).split('\n')[0]!;
  const file = /(?:relation|file) "((?:base|global|pg_tblspc)\/[^"]+?)(?:\.\d+)?"/.exec(detail)?.[1];
  const named = /(?:index|in|relation) "?((?:pg_toast\.)?pg_toast_\d+|[a-z_][a-z0-9_]*)"?/i.exec(
    detail.replace(/"(?:base|global)\/[^"]*"/g, ''),
  )?.[1];
  let relation: { name: string; kind: string; owner: string | null } | undefined;
  try {
    const { rows } = await pool.query<{ name: string; kind: string; owner: string | null }>(
      `SELECT c.relname AS name, c.relkind::text AS kind,
              coalesce(t.relname, ti.relname, ic.relname) AS owner
         FROM pg_class c
         LEFT JOIN pg_class t ON t.reltoastrelid = c.oid
         LEFT JOIN pg_index i ON i.indexrelid = c.oid
         LEFT JOIN pg_class ic ON ic.oid = i.indrelid AND ic.relkind = 't'
         LEFT JOIN pg_class ti ON ti.reltoastrelid = ic.oid
        WHERE ($1::text IS NOT NULL AND pg_relation_filepath(c.oid) = $1)
           OR ($1::text IS NULL AND c.relname = $2)
        LIMIT 1`,
      [file ?? null, named?.replace(/^pg_toast\./, '') ?? null],
    );
    relation = rows[0];
  } catch {
    relation = undefined;
  }
  const where = file ?? relation?.name ?? 'a database file';
  if (relation?.kind === 'i' && !relation.name.startsWith('pg_toast_')) {
    return {
      detail,
      file,
      relation: relation.name,
      kind: 'index',
      fix: `the table data is intact: rebuild the index with REINDEX INDEX ${relation.name}`,
    };
  }
  if (relation?.kind === 't' || relation?.name.startsWith('pg_toast_')) {
    const table = relation.owner ?? 'quotes';
    return {
      detail,
      file,
      relation: `${relation.name} (the TOAST data of ${table})`,
      kind: 'toast',
      fix: `the long values of ${table} (${where}) are lost: ${rebuild}`,
    };
  }
  if (relation) {
    return { detail, file, relation: relation.name, kind: 'table', fix: `the rows of ${relation.name} (${where}) are lost: ${rebuild}` };
  }
  return { detail, file, kind: 'unknown', fix: `${where} cannot be read: ${rebuild}` };
}

/** The one line to show for a DataDamage. */
export function formatDataDamage(damage: DataDamage): string {
  const what = damage.relation ? `${damage.kind === 'unknown' ? '' : `${damage.kind} `}${damage.relation}` : 'its files';
  return `the database is damaged (${damage.detail}; ${what}): ${damage.fix}`;
}
