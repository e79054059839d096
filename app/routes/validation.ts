import { z } from 'zod';
import { badRequest } from '../errors.js';
import { textProblem } from '../quotes/text-rules.js';

/** Free text: trimmed, non-empty, bounded in characters, no control characters or lone surrogates. */
export const text = (name: string, max: number) =>
  z.string({ error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be text`) }).transform((v, ctx) => {
    const trimmed = v.trim();
    const problem = textProblem(trimmed, name, max);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return trimmed;
  });

/** A query-string integer in [min, max]; digits only, so "1;DROP" or "1e3" is refused. */
export const intParam = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return Number(v);
    });

/**
 * Validates a parsed query string: refuses parameters the route does not know (a typo
 * such as `autor=` should not silently return unfiltered results) and repeated ones,
 * then applies the schema. Throws a 400 naming the first problem.
 */
export function parseQuery<S extends z.ZodObject>(schema: S, query: unknown): z.output<S> {
  const allowed = Object.keys(schema.shape);
  const input = (query ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (!allowed.includes(key)) {
      throw badRequest(
        `unknown query parameter "${key.length > 40 ? `${key.slice(0, 40)}...` : key}"${allowed.length ? `: allowed are ${allowed.join(', ')}` : ': this route takes none'}`,
        'unknown_parameter',
      );
    }
    if (Array.isArray(value)) throw badRequest(`query parameter "${key}" was given more than once; give it once`);
  }
  return parseWith(schema, input);
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // Every schema here names its field in its messages.
  throw badRequest(result.error.issues[0]!.message);
}

/** The largest id the API reads back exactly (ids are bigint in SQL, numbers in JSON). */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** A route parameter id: a positive integer up to MAX_ID, digits only. */
export function parseId(raw: string): number {
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}..." (${raw.length} characters)` : `${raw}"`;
  if (!/^[1-9]\d*$/.test(raw)) throw badRequest(`id must be a positive whole number, got "${shown}`);
  // A whole number all the same: say what is wrong with it instead of denying it is one.
  if (raw.length > 16 || Number(raw) > MAX_ID) {
    throw badRequest(`id "${shown} is too large: ids go up to ${MAX_ID}`, 'id_out_of_range');
  }
  return Number(raw);
}

/** Opaque keyset cursor: base64url of the last id seen. */
export function encodeCursor(lastId: number): string {
  return Buffer.from(`q:${lastId}`).toString('base64url');
}

export function decodeCursor(raw: string): number {
  const decoded = /^[A-Za-z0-9_-]{1,40}$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  const match = /^q:([1-9]\d{0,14})$/.exec(decoded);
  if (!match) throw badRequest('cursor is not one this API issued: pass the nextCursor value from the previous page', 'bad_cursor');
  return Number(match[1]);
}
