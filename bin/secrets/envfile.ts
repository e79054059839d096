import { usageError } from '../cli/errors.js';

/**
 * The dotenv subset qctl reads and writes: `KEY=value` lines, `#` comments, blank lines, an
 * optional `export ` prefix, and values in single quotes (literal) or double quotes (\n, \", \\).
 */
export type EnvEntries = Record<string, string>;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidKey(key: string): boolean {
  return KEY.test(key);
}

/** Parses env text; `source` names the file in errors (line numbers are 1-based). */
export function parseEnv(text: string, source: string): EnvEntries {
  const entries: EnvEntries = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    const where = `${source} line ${index + 1}`;
    if (eq <= 0) throw usageError(`${where}: expected KEY=VALUE, got "${truncate(line)}"; fix or remove the line`);
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key))
      throw usageError(`${where}: invalid key "${truncate(key)}": keys are letters, digits and _ and do not start with a digit`);
    entries[key] = parseValue(body.slice(eq + 1).trim(), where);
  });
  return entries;
}

function parseValue(value: string, where: string): string {
  if (value.startsWith('"')) {
    const end = findClosingQuote(value);
    if (end < 0) throw usageError(`${where}: unterminated double quote; close the value with "`);
    assertOnlyComment(value.slice(end + 1), where);
    return value.slice(1, end).replace(/\\(n|"|\\)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    if (end < 0) throw usageError(`${where}: unterminated single quote; close the value with '`);
    assertOnlyComment(value.slice(end + 1), where);
    return value.slice(1, end);
  }
  // Unquoted: an inline comment starts at " #".
  const comment = value.search(/\s#/);
  return (comment >= 0 ? value.slice(0, comment) : value).trim();
}

function findClosingQuote(value: string): number {
  for (let i = 1; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === '"') return i;
  }
  return -1;
}

function assertOnlyComment(rest: string, where: string): void {
  const trimmed = rest.trim();
  if (trimmed !== '' && !trimmed.startsWith('#'))
    throw usageError(`${where}: unexpected text after the quoted value; quote the whole value`);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Serializes entries back to env text, quoting values that need it, keys sorted for stable diffs. */
export function formatEnv(entries: EnvEntries): string {
  return Object.keys(entries)
    .sort()
    .map((key) => `${key}=${formatValue(entries[key]!)}`)
    .join('\n')
    .concat(Object.keys(entries).length ? '\n' : '');
}

function formatValue(value: string): string {
  if (/^[A-Za-z0-9_./:@+-]*$/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
