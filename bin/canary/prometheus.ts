import { JobError } from '../cli/errors.js';
import { connectionReason } from '../kube/client.js';

/**
 * The one call qctl makes to Prometheus: an instant query over the HTTP API
 * (GET /api/v1/query), answered as a vector of labelled samples. Values arrive as strings
 * ("12.5", "NaN", "+Inf"); they are parsed here so callers see numbers (NaN stays NaN).
 */
export type Sample = { labels: Record<string, string>; value: number };

type QueryAnswer = {
  status: 'success' | 'error';
  data?: { resultType?: string; result?: { metric: Record<string, string>; value?: [number, string] }[] };
  errorType?: string;
  error?: string;
};

/** A URL as it may be printed: user and password replaced by `***` (also for text that does not parse as a URL). */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}

export class PrometheusClient {
  /** The URL without credentials, for every message. */
  readonly baseUrl: string;
  private readonly endpoint: URL;
  private readonly headers: Record<string, string> = {};

  constructor(
    url: string,
    private readonly timeoutMs = 10_000,
  ) {
    // fetch() refuses URLs with credentials: they travel as Basic authentication instead.
    const parsed = new URL(url.endsWith('/') ? url : `${url}/`);
    if (parsed.username || parsed.password) {
      const user = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      this.headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.endpoint = parsed;
    this.baseUrl = redactUrl(url);
  }

  async query(expr: string): Promise<Sample[]> {
    const url = new URL('api/v1/query', this.endpoint);
    url.searchParams.set('query', expr);
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new JobError(
        `cannot reach Prometheus at ${this.baseUrl} (${connectionReason(error)}): check --prometheus-url or the monitoring stack`,
      );
    }
    let answer: QueryAnswer;
    try {
      answer = (await response.json()) as QueryAnswer;
    } catch {
      throw new JobError(`Prometheus at ${this.baseUrl} answered HTTP ${response.status} without JSON: is this a Prometheus server?`);
    }
    if (answer.status !== 'success') {
      throw new JobError(
        `Prometheus at ${this.baseUrl} refused the query (${answer.errorType ?? `HTTP ${response.status}`}: ${answer.error ?? 'no reason'}): ${expr}`,
      );
    }
    if (answer.data?.resultType !== 'vector') {
      throw new JobError(`Prometheus answered a ${answer.data?.resultType ?? 'missing'} result where a vector was expected: ${expr}`);
    }
    return (answer.data.result ?? []).map((r) => ({ labels: r.metric, value: parseSampleValue(r.value?.[1]) }));
  }
}

/** Prometheus writes infinities as "+Inf"/"-Inf", which Number() does not read. */
export function parseSampleValue(text: string | undefined): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text ?? 'NaN');
}
