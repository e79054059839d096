import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dummyJsonPages, DUMMYJSON_BASE_URL, type DummyJsonOptions } from './dummyjson.js';
import { SeedError } from './errors.js';
import { SAMPLE_QUOTES } from './sample-quotes.js';

/** One page of raw records; `total` is the source's own count when it knows one. */
export interface SourcePage {
  records: unknown[];
  total?: number;
}

export type SourceSpec = { kind: 'dummyjson' } | { kind: 'file'; path: string } | { kind: 'stdin' } | { kind: 'sample' };

export const SOURCE_HELP = 'dummyjson, file:PATH, - (stdin) or sample';

/**
 * How the user sets the source where the message is read: `--source file:PATH` for qctl,
 * `SEED_SOURCE=file:PATH` in the image (which reads no flags), so a fix names what works there.
 */
export type SourceSetting = (value: string) => string;
export const CLI_SOURCE_SETTING: SourceSetting = (value) => `--source ${value}`;
export const ENV_SOURCE_SETTING: SourceSetting = (value) => `SEED_SOURCE=${value}`;

/** `dummyjson` | `file:PATH` | `-` | `sample`. Anything else is a usage error naming the choices. */
export function parseSourceSpec(spec: string, setting: SourceSetting = CLI_SOURCE_SETTING): SourceSpec {
  const trimmed = spec.trim();
  if (trimmed === 'dummyjson') return { kind: 'dummyjson' };
  if (trimmed === '-') return { kind: 'stdin' };
  if (trimmed === 'sample') return { kind: 'sample' };
  if (trimmed.startsWith('file:')) {
    const path = trimmed.slice('file:'.length);
    if (path === '') throw new SeedError(`source "file:" needs a path, e.g. ${setting('file:./quotes.json')}`);
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

/** Past this size a quotes file is refused before it is read (the whole file is parsed in memory). */
export const MAX_SOURCE_BYTES = 256 * 1024 * 1024;

/**
 * The full DummyJSON quote list shipped with qctl (data/quotes.json, MIT, see data/README.md),
 * found from here in the sources and in build/; undefined in an install without it.
 */
export function bundledQuotesFile(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, 'data', 'quotes.json');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

export interface OpenSourceOptions {
  dummyJson?: DummyJsonOptions;
  /** Where relative file paths start; defaults to the working directory. */
  cwd?: string;
  /** Read instead of process.stdin (tests, embedding in other programs). */
  stdin?: NodeJS.ReadableStream;
  /** How the caller names a file source in its fix, e.g. "--quotes ./quotes.json" (default: --source file:./quotes.json). */
  fileFlag?: string;
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
      const records = await readQuotesFile(resolve(options.cwd ?? process.cwd(), spec.path), options.fileFlag);
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

/**
 * Reads and parses a quotes file, refusing what is not a regular file or is too large before
 * reading it (a FIFO or /dev/zero would otherwise hang or exhaust memory).
 */
export async function readQuotesFile(path: string, flag = '--source file:./quotes.json'): Promise<unknown[]> {
  const fix = `pass a JSON file, e.g. ${flag}`;
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SeedError(`quotes file ${path} is not a regular file: ${fix}`);
    if (info.size > MAX_SOURCE_BYTES) {
      throw new SeedError(
        `quotes file ${path} is ${Math.round(info.size / 1048576)} MiB, over the ${MAX_SOURCE_BYTES / 1048576} MiB limit: split it and seed the parts one after another`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof SeedError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    // Suggesting a path like the one that is missing would lead nowhere: say where we looked.
    if (code === 'ENOENT') {
      throw new SeedError(`no quotes file at ${path}: check the path (a relative one starts at the working directory, ${process.cwd()})`);
    }
    throw new SeedError(`cannot read quotes file ${path} (${code}): ${fix}`);
  }
  return parseQuotesJson(text, `quotes file ${path}`);
}

/**
 * Reads a file or stdin source up front, so a missing or malformed input fails before any
 * database is opened; the result is what runSeed then reads. DummyJSON and the sample are
 * read lazily: undefined for them.
 */
export async function preloadSource(spec: SourceSpec, options: OpenSourceOptions = {}): Promise<AsyncIterable<SourcePage> | undefined> {
  if (spec.kind !== 'file' && spec.kind !== 'stdin') return undefined;
  const pages: SourcePage[] = [];
  for await (const page of readSource(spec, options)) pages.push(page);
  return (async function* () {
    yield* pages;
  })();
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
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_SOURCE_BYTES) {
      throw new SeedError(
        `standard input is over the ${MAX_SOURCE_BYTES / 1048576} MiB limit: split it and seed the parts one after another`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
