import { parseDuration } from '../cli/duration.js';
import { usageError } from '../cli/errors.js';
import { parseHttpUrl } from '../cli/url.js';
import type { AnalysisPolicy, Thresholds } from './analysis.js';

/** The canary options of `qctl up`, as commander hands them over (strings, defaults applied). */
export type CanaryFlags = {
  canary?: string;
  /** Default: 50, when above --canary. */
  canarySteps?: string;
  analysis: boolean;
  prometheusUrl?: string;
  analysisInterval: string;
  analysisGrace: string;
  analysisChecks: string;
  maxErrorRatio: string;
  maxP99: string;
  maxP99Ratio: string;
  minRequests: string;
};

export type CanaryPlan = {
  /** The weight ladder: --canary, then the --canary-steps above it. Promotion follows the last. */
  weights: number[];
  analysis: boolean;
  thresholds: Thresholds;
  policy: AnalysisPolicy;
  /** How far back each check looks: the interval, at least a minute (two scrapes at the slowest default interval). */
  windowSeconds: number;
  prometheusUrl?: string;
};

function weight(text: string, flag: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > 100) {
    throw usageError(`invalid ${flag} "${text}": give the canary's share of traffic in percent, a whole number 1..100, e.g. ${flag} 20`);
  }
  return value;
}

function positiveInt(text: string, flag: string, example: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1)
    throw usageError(`invalid ${flag} "${text}": give a whole number of at least 1, e.g. ${flag} ${example}`);
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
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || value <= 0) throw usageError(`invalid ${flag} "${text}": give a factor such as 1.5, or off`);
  return value;
}

export function parseCanaryFlags(flags: CanaryFlags & { canary: string }): CanaryPlan {
  const first = weight(flags.canary, '--canary');
  const steps =
    flags.canarySteps === undefined
      ? DEFAULT_STEPS.filter((w) => w > first)
      : flags.canarySteps.trim() === ''
        ? []
        : flags.canarySteps.split(',').map((w) => weight(w, '--canary-steps'));
  // Without analysis nothing walks the ladder: the canary stays at its weight until promoted or aborted.
  const weights = flags.analysis ? [first, ...steps] : [first];
  if (weights.some((w, i) => i > 0 && w <= weights[i - 1]!)) {
    throw usageError(
      `invalid --canary-steps "${flags.canarySteps}": the weights must rise above --canary ${first}, e.g. --canary 10 --canary-steps 25,50`,
    );
  }
  const intervalMs = parseDuration(flags.analysisInterval, '--analysis-interval');
  return {
    weights,
    analysis: flags.analysis,
    thresholds: {
      maxErrorRatio: ratio(flags.maxErrorRatio, '--max-error-ratio'),
      maxP99Ms: parseDuration(flags.maxP99, '--max-p99'),
      maxP99Ratio: multiple(flags.maxP99Ratio, '--max-p99-ratio'),
      minRequests: positiveInt(flags.minRequests, '--min-requests', '20'),
    },
    policy: {
      intervalMs,
      graceMs: parseDuration(flags.analysisGrace, '--analysis-grace'),
      checks: positiveInt(flags.analysisChecks, '--analysis-checks', '2'),
    },
    windowSeconds: Math.max(60, Math.ceil(intervalMs / 1000)),
    prometheusUrl:
      flags.prometheusUrl === undefined ? undefined : parseHttpUrl(flags.prometheusUrl, '--prometheus-url', 'http://127.0.0.1:9090'),
  };
}

/** The weights after --canary when --canary-steps is not given (those above it). */
export const DEFAULT_STEPS = [50];
