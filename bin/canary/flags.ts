import { parseDuration } from '../cli/duration.js';
import { usageError } from '../cli/errors.js';
import { parseHttpUrl } from '../cli/url.js';
import type { EnvironmentSettings } from '../../infra/settings-schema.js';
import type { AnalysisPolicy, Thresholds } from './analysis.js';
import { redactUrlsIn } from '../cli/safe-text.js';

/**
 * The canary options of `qctl up`, as commander hands them over (strings; undefined when not
 * given). The analysis options without a flag come from the environment's `canary.analysis.*`
 * settings (infra/environments.ts, qctl.config.ts, --set), so a team keeps its gate in code.
 */
export type CanaryFlags = {
  canary?: string;
  /** Default: 50, when above --canary. */
  canarySteps?: string;
  analysis: boolean;
  prometheusUrl?: string;
  analysisInterval?: string;
  analysisGrace?: string;
  analysisChecks?: string;
  maxErrorRatio?: string;
  maxP99?: string;
  maxP99Ratio?: string;
  minRequests?: string;
  canaryLoad?: string;
};

export type AnalysisSettings = EnvironmentSettings['canary']['analysis'];

export type CanaryPlan = {
  /** The weight ladder: --canary, then the --canary-steps above it. Promotion follows the last. */
  weights: number[];
  analysis: boolean;
  thresholds: Thresholds;
  policy: AnalysisPolicy;
  prometheusUrl?: string;
  /** Requests per second qctl sends to the canary during the analysis; 0: none. */
  loadRate: number;
};

/** Upper bounds of the analysis durations (the same as the settings schema's). */
export const MAX_ANALYSIS_INTERVAL_MS = 3_600_000;
export const MAX_ANALYSIS_GRACE_MS = 24 * 3_600_000;
/** The API's latency histogram ends at 10s: a higher p99 limit could never be told apart from "beyond". */
export const MAX_P99_LIMIT_MS = 10_000;
export const MAX_CANARY_LOAD = 10_000;

export function parseWeight(text: string, flag: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 100) {
    throw usageError(`invalid ${flag} "${text}": give the canary's share of traffic in percent, a whole number 1..100, e.g. ${flag} 20`);
  }
  return value;
}

function wholeNumber(text: string, flag: string, example: string, min = 1, max = 1_000_000): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max)
    throw usageError(`invalid ${flag} "${text}": give a whole number from ${min} to ${max}, e.g. ${flag} ${example}`);
  return Number(text);
}

/** `1%` or `0.01`. */
function ratio(text: string, flag: string): number {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  const value = percent ? Number(percent[1]) / 100 : /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) throw usageError(`invalid ${flag} "${text}": give a share of requests, e.g. ${flag} 1% or ${flag} 0.01`);
  return value;
}

function multiple(text: string, flag: string): number | null {
  if (text.trim() === 'off') return null;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || value <= 0 || value > 1000)
    throw usageError(`invalid ${flag} "${text}": give a factor up to 1000 such as 1.5, or off`);
  return value;
}

/** The ladder from --canary and --canary-steps (without analysis nothing walks it: only --canary). */
export function parseWeights(flags: Pick<CanaryFlags, 'canarySteps' | 'analysis'> & { canary: string }): number[] {
  const first = parseWeight(flags.canary, '--canary');
  const steps =
    flags.canarySteps === undefined
      ? DEFAULT_STEPS.filter((w) => w > first)
      : flags.canarySteps.trim() === ''
        ? []
        : flags.canarySteps.split(',').map((w) => parseWeight(w, '--canary-steps'));
  const weights = flags.analysis ? [first, ...steps] : [first];
  if (weights.some((w, i) => i > 0 && w <= weights[i - 1]!)) {
    throw usageError(
      `invalid --canary-steps "${flags.canarySteps}": the weights must rise above --canary ${first}, e.g. --canary 10 --canary-steps 25,50`,
    );
  }
  return weights;
}

/** Flags over the environment's canary.analysis settings; each value checked against its bound. */
export function parseCanaryFlags(flags: CanaryFlags & { canary: string }, settings: AnalysisSettings): CanaryPlan {
  const weights = parseWeights(flags);
  // A setting is named as such in a message about it; a flag by its flag.
  const pick = <K extends keyof AnalysisSettings>(flag: string | undefined, name: string, key: K): [string, string] => {
    const setting = settings[key];
    return flag !== undefined ? [flag, name] : [setting === null ? 'off' : String(setting), `canary.analysis.${key}`];
  };
  const [interval, intervalName] = pick(flags.analysisInterval, '--analysis-interval', 'interval');
  const [grace, graceName] = pick(flags.analysisGrace, '--analysis-grace', 'grace');
  const [checks, checksName] = pick(flags.analysisChecks, '--analysis-checks', 'checks');
  const [errorRatio, errorRatioName] = pick(flags.maxErrorRatio, '--max-error-ratio', 'maxErrorRatio');
  const [p99, p99Name] = pick(flags.maxP99, '--max-p99', 'maxP99');
  const [p99Ratio, p99RatioName] = pick(flags.maxP99Ratio, '--max-p99-ratio', 'maxP99Ratio');
  const [minRequests, minRequestsName] = pick(flags.minRequests, '--min-requests', 'minRequests');
  const [load, loadName] = pick(flags.canaryLoad, '--canary-load', 'load');
  let prometheusUrl: string | undefined;
  if (flags.prometheusUrl !== undefined) {
    const redacted = redactUrlsIn(flags.prometheusUrl);
    try {
      prometheusUrl = parseHttpUrl(flags.prometheusUrl, '--prometheus-url', 'http://127.0.0.1:9090');
    } catch {
      throw usageError(
        `invalid --prometheus-url "${redacted}": give an http:// or https:// URL, e.g. --prometheus-url http://127.0.0.1:9090`,
      );
    }
  }
  return {
    weights,
    analysis: flags.analysis,
    thresholds: {
      maxErrorRatio: ratio(errorRatio, errorRatioName),
      maxP99Ms: parseDuration(p99, p99Name, MAX_P99_LIMIT_MS),
      maxP99Ratio: multiple(p99Ratio, p99RatioName),
      minRequests: wholeNumber(minRequests, minRequestsName, '20'),
    },
    policy: {
      intervalMs: parseDuration(interval, intervalName, MAX_ANALYSIS_INTERVAL_MS),
      graceMs: parseDuration(grace, graceName, MAX_ANALYSIS_GRACE_MS),
      checks: wholeNumber(checks, checksName, '2', 1, 100),
    },
    prometheusUrl,
    loadRate: wholeNumber(load, loadName, '20', 0, MAX_CANARY_LOAD),
  };
}

/** The weights after --canary when --canary-steps is not given (those above it). */
export const DEFAULT_STEPS = [50];
