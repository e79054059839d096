/**
 * What counts as acceptable free text for a quote, an author or a query, shared by the API's
 * input checks and the seeder so both refuse the same things:
 * - C0/C1 control characters (NUL breaks Postgres text; the rest are never meant); tab,
 *   newline and carriage return are allowed.
 * - Lone UTF-16 surrogates: Postgres would store U+FFFD instead, silently changing the text.
 * Lengths count characters (code points), as Postgres' length() does, not UTF-16 units.
 */
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// With the u flag a surrogate pair reads as one astral character, so only unpaired halves match.
const LONE_SURROGATE = /\p{Cs}/u;

export function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** The first problem with `value` (already trimmed) as `name`, or undefined when it is fine. */
export function textProblem(value: string, name: string, max: number): string | undefined {
  if (value.length === 0) return `${name} must not be empty`;
  const control = CONTROL_CHARS.exec(value);
  if (control)
    return `${name} must not contain control characters (found U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  if (LONE_SURROGATE.test(value)) return `${name} must be valid Unicode (it holds a lone UTF-16 surrogate)`;
  if (value.length > max && characterCount(value) > max) return `${name} must be at most ${max} characters`;
  return undefined;
}
