/**
 * YAML output for synthesized objects (plain JSON data: objects, arrays, strings, numbers,
 * booleans, null). The `yaml` package's stringify took ~200 ms of CPU for `qctl synth --all`,
 * a sixth of the whole command, so this small emitter writes the same block style directly.
 * It is deliberately conservative: a string is written plain only when no YAML 1.1 or 1.2
 * reader (Kubernetes uses go-yaml, a 1.1 reader) could take it for anything else; multi-line
 * text becomes a literal block; everything else is JSON-quoted, which is valid YAML. Tests
 * parse every synthesized object back with the `yaml` package (1.1 and 1.2) and compare.
 */
export function toYamlDocuments(objects: unknown[]): string {
  return objects.map((object) => toYaml(object)).join('---\n');
}

export function toYaml(value: unknown): string {
  const lines: string[] = [];
  if (isNonEmptyObject(value)) writeMapping(value, 0, lines);
  else if (isNonEmptyArray(value)) writeSequence(value, 0, lines);
  else {
    const inline = inlineScalar(value);
    if (inline !== null) lines.push(inline);
    else {
      const at = lines.push('') - 1;
      lines[at] = blockHeader(value as string, 0, lines);
    }
  }
  return `${lines.join('\n')}\n`;
}

type Json = Record<string, unknown>;
const isNonEmptyObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
const isNonEmptyArray = (v: unknown): v is unknown[] => Array.isArray(v) && v.length > 0;

function writeMapping(map: Json, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue;
    const head = `${pad}${scalarString(key)}:`;
    if (isNonEmptyObject(value)) {
      lines.push(head);
      writeMapping(value, indent + 2, lines);
    } else if (isNonEmptyArray(value)) {
      lines.push(head);
      writeSequence(value, indent + 2, lines);
    } else {
      const inline = inlineScalar(value);
      if (inline !== null) lines.push(`${head} ${inline}`);
      else {
        const at = lines.push('') - 1;
        lines[at] = `${head} ${blockHeader(value as string, indent, lines)}`;
      }
    }
  }
}

function writeSequence(items: unknown[], indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  for (const item of items) {
    if (isNonEmptyObject(item) || isNonEmptyArray(item)) {
      const first = lines.length;
      if (isNonEmptyObject(item)) writeMapping(item, indent + 2, lines);
      else writeSequence(item, indent + 2, lines);
      // The first line of the nested block moves up onto the dash: `- key: value`.
      lines[first] = `${pad}- ${lines[first]!.slice(indent + 2)}`;
    } else {
      const inline = inlineScalar(item === undefined ? null : item);
      if (inline !== null) lines.push(`${pad}- ${inline}`);
      else {
        const at = lines.push('') - 1;
        lines[at] = `${pad}- ${blockHeader(item as string, indent, lines)}`;
      }
    }
  }
}

/** A scalar (or empty collection) on one line, or null for text that gets a literal block. */
function inlineScalar(value: unknown): string | null {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as YAML`);
    return String(value);
  }
  if (typeof value === 'string') return literalBlockFits(value) ? null : scalarString(value);
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  throw new Error(`cannot write a ${typeof value} as YAML`);
}

// Words YAML 1.1 reads as booleans or null (go-yaml v2), plus 1.2's null and booleans.
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);
// Starts with a letter, `_`, `/` or `-letter` (command-line flags); no character that means
// anything to a YAML reader.
const PLAIN = /^(?:[A-Za-z_/]|-+[A-Za-z])[A-Za-z0-9_./:@$()=+,%*"' -]*$/;
// Kubernetes quantities (500m, 2Gi, 1.5M): digits then a unit, never a number or a date to YAML.
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)$/;

function scalarString(text: string): string {
  if (QUANTITY.test(text)) return text;
  const plain =
    PLAIN.test(text) &&
    !RESERVED.has(text.toLowerCase()) &&
    !text.endsWith(' ') &&
    !text.endsWith(':') &&
    !text.includes(': ') &&
    !text.includes('  ');
  return plain ? text : JSON.stringify(text);
}

/** Multi-line text that a literal block (`|`) reproduces exactly. */
function literalBlockFits(text: string): boolean {
  if (!text.includes('\n') || text.trim() === '') return false;
  // Line breaks other than \n, and non-printable characters, only survive quoting.
  if (/[\r\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/.test(text)) return false;
  const firstContent = text.split('\n').find((line) => line.trim() !== '')!;
  // Indentation is detected from the first non-empty line: it must not start with blanks,
  // and no empty line before it may hold blanks.
  if (/^[ \t]/.test(firstContent)) return false;
  const leading = text.slice(0, text.indexOf(firstContent));
  return !/[ \t]/.test(leading);
}

/** Writes the block's lines after the current one and returns its header (`|`, `|-` or `|+`). */
function blockHeader(text: string, indent: number, lines: string[]): string {
  const trailing = /\n*$/.exec(text)![0].length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const body = trailing === 0 ? text : text.slice(0, text.length - (chomp === '+' ? 0 : 1));
  const pad = ' '.repeat(indent + 2);
  const bodyLines = (chomp === '+' ? body.slice(0, -1) : body).split('\n');
  for (const line of bodyLines) lines.push(line === '' ? '' : `${pad}${line}`);
  return `|${chomp}`;
}
