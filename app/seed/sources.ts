import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { dummyJsonPages, DUMMYJSON_BASE_URL, type DummyJsonOptions } from './dummyjson.js';
import { SeedError } from './errors.js';
import { SAMPLE_QUOTES } from './sample-quotes.js';

/** One page of raw records; `total` is the source's own count when it knows one. */
export interface SourcePage {
  records: unknown[];
  total?: number;
}

export type SourceSpec =
  | { kind: 'dummyjson' }
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'sample' };

export const SOURCE_HELP = 'dummyjson, file:PATH, - (stdin) or sample';

/** `dummyjson` | `file:PATH` | `-` | `sample`. Anything else is a usage error naming the choices. */
export function parseSourceSpec(spec: string): SourceSpec {
  const trimmed = spec.trim();
  if (trimmed === 'dummyjson') return { kind: 'dummyjson' };
  if (trimmed === '-') return { kind: 'stdin' };
  if (trimmed === 'sample') return { kind: 'sample' };
  if (trimmed.startsWith('file:')) {
    const path = trimmed.slice('file:'.length);
    if (path === '') throw new SeedError('source "file:" needs a path, e.g. --source file:./quotes.json');
    return { kind: 'file', path };
  }
  throw new SeedError(`unknown source "${spec}": use ${SOURCE_HELP}`);
}

export function describeSource(spec: SourceSpec, options: { dummyJsonUrl?: string } = {}): string {
  switch (spec.kind) {
    case 'dummyjson':
      return `DummyJSON (${options.dummyJsonUrl ?? DUMMYJSON_BASE_URL})`;
    case 'file':
      return `file ${spec.path}`;
    case 'stdin':
      return 'standard input';
    case 'sample':
      return 'the built-in sample';
  }
}

export interface OpenSourceOptions {
  dummyJson?: DummyJsonOptions;
  /** Where relative file paths start; defaults to the working directory. */
  cwd?: string;
  /** Read instead of process.stdin (tests, embedding in other programs). */
  stdin?: NodeJS.ReadableStream;
}

/** The records of a source, page by page. Files and stdin are one page. */
export async function* readSource(spec: SourceSpec, options: OpenSourceOptions = {}): AsyncGenerator<SourcePage> {
  switch (spec.kind) {
    case 'dummyjson':
      yield* dummyJsonPages(options.dummyJson);
      return;
    case 'sample':
      yield { records: SAMPLE_QUOTES.map((q) => ({ ...q })), total: SAMPLE_QUOTES.length };
      return;
    case 'file': {
      const path = resolve(options.cwd ?? process.cwd(), spec.path);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new SeedError(`cannot read quotes file ${path} (${code}): pass an existing JSON file, e.g. --source file:./quotes.json`);
      }
      const records = parseQuotesJson(text, `quotes file ${path}`);
      yield { records, total: records.length };
      return;
    }
    case 'stdin': {
      const text = await readAll(options.stdin ?? process.stdin);
      const records = parseQuotesJson(text, 'standard input');
      yield { records, total: records.length };
      return;
    }
  }
}

/** A JSON array of {quote, author}, or DummyJSON's own answer shape {quotes: [...]}. */
export function parseQuotesJson(text: string, what: string): unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new SeedError(`${what} is not valid JSON (${(error as Error).message}): expected an array of {"quote", "author"} objects`);
  }
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object' && Array.isArray((body as { quotes?: unknown }).quotes)) {
    return (body as { quotes: unknown[] }).quotes;
  }
  throw new SeedError(`${what} must hold a JSON array of {"quote", "author"} objects`);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
