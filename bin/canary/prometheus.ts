import { BodyTooLargeError, readBodyJson } from '../../app/bounded-body.js';
import { JobError } from '../cli/errors.js';
import { quoteOutside, redactUrlsIn } from '../cli/safe-text.js';
import { splitCredentials } from '../cli/url.js';
import { connectionReason } from '../kube/client.js';

/** A vector answer for a handful of series is kilobytes; a larger body is not one we asked for. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

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
    const { url: endpoint, authorization } = splitCredentials(new URL(url.endsWith('/') ? url : `${url}/`));
    this.endpoint = endpoint;
    if (authorization) this.headers.authorization = authorization;
    // As typed (no trailing slash added), credentials and secret query values hidden.
    this.baseUrl = redactUrlsIn(url);
  }

  async query(expr: string): Promise<Sample[]> {
    const url = new URL('api/v1/query', this.endpoint);
    url.searchParams.set('query', expr);
    let response: Response;
    try {
      response = await fetch(url, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new JobError(
        `cannot reach Prometheus at ${this.baseUrl} (${quoteOutside(connectionReason(error))}): check --prometheus-url or the monitoring stack`,
      );
    }
    let answer: QueryAnswer;
    try {
      answer = (await readBodyJson(response, MAX_ANSWER_BYTES, `Prometheus at ${this.baseUrl}`)) as QueryAnswer;
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new JobError(`${error.message}: is this a Prometheus server?`);
      throw new JobError(`Prometheus at ${this.baseUrl} answered HTTP ${response.status} without JSON: is this a Prometheus server?`);
    }
    if (answer.status !== 'success') {
      throw new JobError(
        `Prometheus at ${this.baseUrl} refused the query (${quoteOutside(answer.errorType ?? `HTTP ${response.status}`)}: ${quoteOutside(answer.error ?? 'no reason')}): ${expr}`,
      );
    }
    if (answer.data?.resultType !== 'vector') {
      throw new JobError(
        `Prometheus answered a ${quoteOutside(String(answer.data?.resultType ?? 'missing'), 40)} result where a vector was expected: ${expr}`,
      );
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
