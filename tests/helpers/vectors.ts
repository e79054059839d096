import type pg from 'pg';
import { toVectorLiteral } from '../../app/db/pool.js';

/** A deterministic pseudo-random 1536-dimension vector for `seed`: index builds get real work. */
export function pseudoVector(seed: number): number[] {
  let state = seed * 2654435761 + 1;
  return Array.from({ length: 1536 }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  });
}

/** Inserts quotes `from..to-1` with pseudo-random vectors of model 'm', one statement per chunk. */
export async function insertPseudoQuotes(
  pool: pg.Pool,
  from: number,
  to: number,
  author: (i: number) => string = () => 'Someone',
): Promise<void> {
  for (let start = from; start < to; start += 100) {
    const params: unknown[] = [];
    const values: string[] = [];
    for (let i = start; i < Math.min(to, start + 100); i++) {
      params.push(`quote ${i}`, author(i), toVectorLiteral(pseudoVector(i)));
      const p = params.length;
      values.push(`($${p - 2}, $${p - 1}, $${p - 2}, $${p}::vector, 'm')`);
    }
    await pool.query(`INSERT INTO quotes (quote, author, content_hash, embedding, embedding_model) VALUES ${values.join(', ')}`, params);
  }
}
