import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { BodyTooLargeError, readStreamBytes } from '../../app/bounded-body.js';
import { usageError } from '../cli/errors.js';
import { WARM_UP_HEADER, type RequestSpec } from './client.js';
import type { RequestSource } from './generator.js';
import { QUOTE_WORDS, wordsOf } from './quote-words.js';
import { redactUrl, redactUrlsIn as redactUrls } from '../cli/safe-text.js';
import { splitCredentials } from '../cli/url.js';

export interface Scenario extends RequestSource {
  name: string;
  /** Every origin the scenario sends to (checked against the local-target rule). */
  origins: string[];
  /** A line for people: what the mix is and where its data came from. */
  description: string;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Fisher-Yates: every order equally likely (sorting by a random comparator is not). */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Cycles through pre-built requests: choosing costs an array read, not an allocation. */
function cycle(specs: RequestSpec[], shuffle: boolean): () => RequestSpec {
  const list = shuffle ? shuffled(specs) : specs;
  let i = 0;
  return () => {
    const spec = list[i]!;
    i = i + 1 === list.length ? 0 : i + 1;
    return spec;
  };
}

function splitUrl(url: URL): { origin: string; path: string } {
  return { origin: url.origin, path: `${url.pathname}${url.search}` };
}

/**
 * The URL without user:password, and the headers with the Basic Authorization they stand for
 * (an explicit Authorization header wins). The credentials are sent, never printed.
 */
function credentialsToHeader(url: URL, headers: Record<string, string> | undefined) {
  const { url: bare, authorization } = splitCredentials(url);
  if (authorization === undefined || headers?.authorization !== undefined) return { url: bare, headers };
  return { url: bare, headers: { ...headers, authorization } };
}

export function parseMethod(text: string, where: string): Dispatcher.HttpMethod {
  const method = text.toUpperCase();
  if (!METHODS.has(method)) throw usageError(`${where}: unknown HTTP method "${text}"; use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS`);
  return method as Dispatcher.HttpMethod;
}

// RFC 9110 token characters for a field name; a value may not hold CR, LF, NUL or other controls
// (a CR/LF would split the request: header injection).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Checks one header; `where` names the flag or file line in the message. */
export function checkHeader(name: string, value: string, where: string): void {
  if (!HEADER_NAME.test(name)) {
    throw usageError(
      `${where}: "${name.slice(0, 60)}" is not a valid header name; use letters, digits and -, e.g. "Authorization: Bearer TOKEN"`,
    );
  }
  if (HEADER_VALUE_FORBIDDEN.test(value)) {
    throw usageError(`${where}: the value of ${name} contains a line break or control character; give a single-line value`);
  }
}

export function parseHeaders(lines: string[]): Record<string, string> | undefined {
  if (lines.length === 0) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw usageError(`invalid --header "${line}": write "Name: value", e.g. "Authorization: Bearer TOKEN"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    checkHeader(name, value, 'invalid --header');
    headers[name] = value;
  }
  return headers;
}

export function singleUrlScenario(
  given: URL,
  method: Dispatcher.HttpMethod,
  givenHeaders?: Record<string, string>,
  body?: string,
): Scenario {
  const { url, headers } = credentialsToHeader(given, givenHeaders);
  const { origin, path } = splitUrl(url);
  const spec: RequestSpec = { origin, path, method, headers, body, label: `${method} ${url.pathname}` };
  return { name: 'url', origins: [origin], description: `${method} ${redactUrl(url)}`, next: () => spec };
}

export type QuotesRequestKind = 'list' | 'get' | 'authors' | 'search';
export type QuotesMix = Record<QuotesRequestKind, number>;
export const DEFAULT_QUOTES_MIX: QuotesMix = { list: 3, get: 4, authors: 1, search: 2 };

/** `list=3,get=4,authors=1,search=2`; kinds left out keep their default weight. */
export function parseQuotesMix(text: string | undefined): QuotesMix {
  const mix = { ...DEFAULT_QUOTES_MIX };
  if (text === undefined) return mix;
  for (const term of text.split(',')) {
    const match = /^\s*(list|get|authors|search)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(term);
    if (!match) {
      throw usageError(
        `invalid --mix term "${term.trim()}": use list=N,get=N,authors=N,search=N, e.g. --mix list=3,get=4,authors=1,search=2`,
      );
    }
    mix[match[1] as QuotesRequestKind] = Number(match[2]);
  }
  if (Object.values(mix).every((w) => w === 0))
    throw usageError('invalid --mix: every weight is 0; give at least one request kind a weight above 0');
  return mix;
}

/** Ids and words from a JSON document of quotes, whatever its envelope (`[...]`, `{quotes: [...]}`, `{items: [...]}`). */
function harvestQuotes(document: unknown): { ids: string[]; texts: string[]; note?: string } {
  const ids: string[] = [];
  const texts: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.quote === 'string') {
      texts.push(record.quote);
      if (typeof record.id === 'number' || typeof record.id === 'string') ids.push(String(record.id));
      return;
    }
    for (const child of Object.values(record)) visit(child, depth + 1);
  };
  visit(document, 0);
  return { ids, texts };
}

/**
 * The most qctl reads of the quotes sample: the API's largest page is a few hundred KiB; a
 * target that streams without end must not grow the heap until V8 gives up.
 */
export const MAX_SAMPLE_BYTES = 8 * 1024 * 1024;

/**
 * The service's own quotes, so get-by-id hits real ids and searches use words that exist. Any
 * failure (an error status, not JSON, a body over MAX_SAMPLE_BYTES) falls back to built-in ids and words.
 */
async function fetchQuoteSample(base: URL, headers: Record<string, string> | undefined, timeoutMs: number) {
  try {
    // Marked like the warm-up: it is preparation, not part of the load.
    const response = await request(new URL('quotes', base), {
      headers: { ...headers, [WARM_UP_HEADER]: '1' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return undefined;
    }
    const announced = Number(response.headers['content-length']);
    const bytes = await readStreamBytes(response.body, MAX_SAMPLE_BYTES, `the quotes sample at ${base.href}quotes`, announced);
    return harvestQuotes(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (error) {
    // Too large is worth a word in the description; other failures read as "not the quotes API".
    return error instanceof BodyTooLargeError ? { ids: [], texts: [], note: error.message } : undefined;
  }
}

export async function quotesScenario(
  baseUrl: URL,
  options: { mix: QuotesMix; headers?: Record<string, string>; timeoutMs: number; fetchSample?: boolean },
): Promise<Scenario> {
  // The base may carry a path prefix (an ingress path); routes hang below it.
  const { url: bare, headers } = credentialsToHeader(baseUrl, options.headers);
  const base = new URL(bare.href.endsWith('/') ? bare.href : `${bare.href}/`);
  base.search = '';
  const sample = options.fetchSample === false ? undefined : await fetchQuoteSample(base, headers, Math.min(options.timeoutMs, 5000));
  const ids = sample && sample.ids.length > 0 ? sample.ids : Array.from({ length: 30 }, (_, i) => String(i + 1));
  const harvested = sample ? wordsOf(sample.texts) : [];
  const words = harvested.length >= 10 ? harvested : [...QUOTE_WORDS];
  const source =
    options.fetchSample === false
      ? `ids and words each worker reads from ${new URL('quotes', base).href}`
      : sample && sample.ids.length > 0
        ? `ids and words from ${new URL('quotes', base).href}`
        : `built-in ids 1-30 and quote words${sample?.note ? ` (${sample.note})` : ''}`;

  const make = (kind: QuotesRequestKind, pathAndQuery: string): RequestSpec => ({
    origin: base.origin,
    method: 'GET',
    path: `${base.pathname}${pathAndQuery}`,
    headers,
    label: kind,
  });
  const total = Object.values(options.mix).reduce((a, b) => a + b, 0);
  const specs: RequestSpec[] = [];
  // 2,000 pre-built requests in proportion to the weights, shuffled so kinds interleave.
  const size = 2000;
  for (const kind of Object.keys(options.mix) as QuotesRequestKind[]) {
    const count = Math.round((options.mix[kind] / total) * size);
    for (let i = 0; i < count; i++) {
      if (kind === 'list') specs.push(make(kind, 'quotes'));
      else if (kind === 'authors') specs.push(make(kind, 'authors'));
      else if (kind === 'get') specs.push(make(kind, `quotes/${encodeURIComponent(ids[Math.floor(Math.random() * ids.length)]!)}`));
      else specs.push(make(kind, `quotes/search?q=${encodeURIComponent(words[Math.floor(Math.random() * words.length)]!)}`));
    }
  }
  const mixText = (Object.keys(options.mix) as QuotesRequestKind[]).map((k) => `${k}=${options.mix[k]}`).join(',');
  return {
    name: 'quotes',
    origins: [base.origin],
    description: redactUrls(`quotes mix ${mixText} against ${base.href} (${source})`),
    next: cycle(specs, true),
  };
}

/**
 * A targets file: one request per line, in either form
 *   `GET http://host/path` or `/path` (relative to URL), optionally followed by `Header: value` lines
 *   {"method":"POST","url":"/quotes","headers":{"content-type":"application/json"},"body":"{...}"}
 * Blank lines and lines starting with # are ignored. Requests are sent in file order, round robin.
 */
export async function targetsFileScenario(file: string, base: URL | undefined): Promise<Scenario> {
  return targetsTextScenario(await readTargetsFile(file), file, base);
}

export async function readTargetsFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw usageError(`--scenario ${file}: cannot read the file; give "quotes" or the path of a targets file`);
  }
}

/** The targets file's requests, from its text (workers get the text, not the file). */
export function targetsTextScenario(text: string, file: string, base: URL | undefined): Scenario {
  const specs: RequestSpec[] = [];
  const where = (n: number): string => `${file}:${n}`;
  const resolve = (raw: string, n: number): URL => {
    try {
      return base ? new URL(raw, base) : new URL(raw);
    } catch {
      throw usageError(
        `${where(n)}: "${redactUrls(raw)}" is not a URL; use an absolute URL, or a path and give the base URL on the command line`,
      );
    }
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const n = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    // JSON lines are taken whole; on other lines a "#" after whitespace starts a comment.
    const line = trimmed.startsWith('{') ? trimmed : trimmed.replace(/\s+#.*$/, '');
    if (line.startsWith('{')) {
      let entry: { method?: unknown; url?: unknown; headers?: unknown; body?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        throw usageError(`${where(n)}: not valid JSON; write {"method":"GET","url":"/quotes"}`);
      }
      if (typeof entry.url !== 'string') throw usageError(`${where(n)}: "url" is missing; write {"method":"GET","url":"/quotes"}`);
      const method = parseMethod(typeof entry.method === 'string' ? entry.method : 'GET', where(n));
      const given =
        entry.headers && typeof entry.headers === 'object'
          ? Object.fromEntries(Object.entries(entry.headers as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), String(v)]))
          : undefined;
      for (const [name, value] of Object.entries(given ?? {})) checkHeader(name, value, where(n));
      const { url, headers } = credentialsToHeader(resolve(entry.url, n), given);
      const body = entry.body === undefined ? undefined : typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body);
      specs.push({ ...splitUrl(url), method, headers, body, label: `${method} ${url.pathname}` });
      return;
    }
    const header = /^([A-Za-z0-9-]+):\s+(.*)$/.exec(line);
    if (header && !/^[A-Za-z]+:\/\//.test(line)) {
      const last = specs.at(-1);
      if (!last) throw usageError(`${where(n)}: a header line before any request; put "GET /path" first`);
      last.headers = { ...last.headers, [header[1]!.toLowerCase()]: header[2]! };
      return;
    }
    const parts = line.split(/\s+/);
    if (parts.length > 2) throw usageError(`${where(n)}: expected "METHOD URL", got "${redactUrls(line)}"`);
    const [method, raw] = parts.length === 2 ? [parseMethod(parts[0]!, where(n)), parts[1]!] : (['GET', parts[0]!] as const);
    // A stray word (e.g. "FROB") would otherwise become GET /FROB and be sent.
    if (!raw.startsWith('/') && !/^https?:\/\//i.test(raw)) {
      throw usageError(
        `${where(n)}: "${redactUrls(line)}" is not a request: write "METHOD /path", "METHOD http://host/path", a header "Name: value", a JSON line or a # comment`,
      );
    }
    const { url, headers } = credentialsToHeader(resolve(raw, n), undefined);
    specs.push({ ...splitUrl(url), method, headers, label: `${method} ${url.pathname}` });
  });
  if (specs.length === 0) throw usageError(`${file}: no requests found; write one per line, e.g. "GET http://127.0.0.1:8080/quotes"`);
  return {
    name: 'file',
    origins: [...new Set(specs.map((s) => s.origin))],
    description: `${specs.length} request${specs.length === 1 ? '' : 's'} from ${file}`,
    next: cycle(specs, false),
  };
}

/**
 * What a scenario is made from, as plain data: the command builds its scenario from it, and so
 * does every worker (a thread, or a pod of the in-cluster Job), each with its own request cycle.
 */
export type ScenarioSource =
  | { kind: 'url'; url: string; method: Dispatcher.HttpMethod; headers?: Record<string, string>; body?: string }
  | { kind: 'quotes'; baseUrl: string; mix: QuotesMix; headers?: Record<string, string>; timeoutMs: number }
  | { kind: 'file'; file: string; text: string; baseUrl?: string; headers?: Record<string, string> };

/** `fetchSample: false`: no request for the quotes scenario's ids (qctl cannot reach an in-cluster target; its workers can). */
export async function scenarioFromSource(source: ScenarioSource, options: { fetchSample?: boolean } = {}): Promise<Scenario> {
  if (source.kind === 'url') return singleUrlScenario(new URL(source.url), source.method, source.headers, source.body);
  if (source.kind === 'quotes') return quotesScenario(new URL(source.baseUrl), { ...source, ...options });
  const scenario = targetsTextScenario(source.text, source.file, source.baseUrl === undefined ? undefined : new URL(source.baseUrl));
  const headers = source.headers;
  if (headers) {
    // Command-line headers apply to every request of the file, under the file's own headers.
    const next = scenario.next;
    const merged = new Map<object, RequestSpec>();
    scenario.next = () => {
      const spec = next();
      let withHeaders = merged.get(spec);
      if (!withHeaders) {
        withHeaders = { ...spec, headers: { ...headers, ...spec.headers } };
        merged.set(spec, withHeaders);
      }
      return withHeaders;
    };
  }
  return scenario;
}
