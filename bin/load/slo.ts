import { usageError } from '../cli/errors.js';

/**
 * SLO expressions such as `p99<250ms,p50<50ms,errors<0.1%,rate>=0.99`.
 * Latency metrics (pNN, mean, max) take a duration (`ms`, `s`, `us`; a bare number means ms);
 * `errors` and `dropped` take a percentage (`0.1%`) or a fraction (`0.001`);
 * `rate` is achieved/target (`0.99` or `99%`); `rps` is the achieved rate in requests per second.
 */
export type SloOperator = '<' | '<=' | '>' | '>=';
export type SloMetric =
  | { kind: 'percentile'; percentile: number }
  | { kind: 'mean' }
  | { kind: 'max' }
  | { kind: 'errors' }
  | { kind: 'dropped' }
  | { kind: 'rate' }
  | { kind: 'rps' };

export interface Slo {
  /** The expression as the user wrote it (trimmed). */
  expression: string;
  /** Canonical metric name: p99, p99.9, mean, max, errors, dropped, rate, rps. */
  name: string;
  metric: SloMetric;
  operator: SloOperator;
  /** Threshold in the metric's base unit: milliseconds, fraction (0..1) or requests per second. */
  threshold: number;
  unit: 'ms' | 'ratio' | 'req/s';
}

/** What SLOs are evaluated against: one run or one ramp step. */
export interface SloSubject {
  percentileMs(percentile: number): number;
  meanMs: number;
  maxMs: number;
  /** Latency samples behind the percentiles; with none, latency SLOs cannot pass. */
  latencySamples: number;
  errorRate: number;
  dropRate: number;
  rateRatio: number;
  achievedRate: number;
}

export interface SloResult {
  expression: string;
  name: string;
  operator: SloOperator;
  threshold: number;
  unit: Slo['unit'];
  /** Null when there was nothing to measure (e.g. no responses for a latency SLO). */
  measured: number | null;
  passed: boolean;
}

const EXAMPLE = 'e.g. "p99<250ms,p50<50ms,errors<0.1%,rate>=0.99"';
const TERM = /^([a-z][a-z0-9.]*)\s*(<=|>=|<|>)\s*(.+)$/i;

export function parseSlos(text: string): Slo[] {
  const terms = text.split(',').map((t) => t.trim());
  if (text.trim() === '' || terms.some((t) => t === '')) {
    throw usageError(`invalid --slo "${text}": give comma-separated terms, ${EXAMPLE}`);
  }
  return terms.map(parseSlo);
}

function parseSlo(expression: string): Slo {
  const match = TERM.exec(expression);
  if (!match) {
    throw usageError(`invalid --slo term "${expression}": write METRIC OP VALUE with OP one of < <= > >=, ${EXAMPLE}`);
  }
  const name = match[1]!.toLowerCase();
  const operator = match[2] as SloOperator;
  const valueText = match[3]!.trim();
  const metric = parseMetric(name, expression);
  const bad = (what: string): never => {
    throw usageError(`invalid --slo term "${expression}": ${what}`);
  };
  switch (metric.kind) {
    case 'percentile':
    case 'mean':
    case 'max': {
      const ms = parseLatency(valueText);
      if (ms === undefined) bad(`"${valueText}" is not a duration; use e.g. 250ms, 1.5s or 800us`);
      return { expression, name: canonicalName(metric), metric, operator, threshold: ms!, unit: 'ms' };
    }
    case 'errors':
    case 'dropped': {
      const ratio = parseRatio(valueText);
      if (ratio === undefined || ratio > 1) bad(`"${valueText}" is not a percentage; use e.g. 0.1% or 0.001`);
      return { expression, name, metric, operator, threshold: ratio!, unit: 'ratio' };
    }
    case 'rate': {
      const ratio = parseRatio(valueText);
      if (ratio === undefined || ratio > 1.5) {
        bad(`"${valueText}" is not an achieved/target ratio; use e.g. rate>=0.99 (or rps>=190 for requests per second)`);
      }
      return { expression, name, metric, operator, threshold: ratio!, unit: 'ratio' };
    }
    case 'rps': {
      const rps = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(valueText);
      if (!rps) bad(`"${valueText}" is not a request rate; use e.g. rps>=190`);
      return { expression, name, metric, operator, threshold: Number(rps![1]), unit: 'req/s' };
    }
  }
}

function parseMetric(name: string, expression: string): SloMetric {
  const percentile = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(name);
  if (percentile) return { kind: 'percentile', percentile: Number(percentile[1]) };
  if (name === 'mean' || name === 'avg') return { kind: 'mean' };
  if (name === 'max') return { kind: 'max' };
  if (name === 'errors' || name === 'error' || name === 'error_rate') return { kind: 'errors' };
  if (name === 'dropped' || name === 'drops') return { kind: 'dropped' };
  if (name === 'rate') return { kind: 'rate' };
  if (name === 'rps') return { kind: 'rps' };
  throw usageError(
    `invalid --slo term "${expression}": unknown metric "${name}"; use p50..p99.99, mean, max, errors, dropped, rate or rps`,
  );
}

function canonicalName(metric: SloMetric): string {
  if (metric.kind === 'percentile') return `p${metric.percentile}`;
  return metric.kind;
}

function parseLatency(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s)?$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  return unit === 's' ? value * 1000 : unit === 'ms' ? value : value / 1000;
}

function parseRatio(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(%)?$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] ? value / 100 : value;
}

function measure(slo: Slo, subject: SloSubject): number | null {
  switch (slo.metric.kind) {
    case 'percentile':
      return subject.latencySamples > 0 ? subject.percentileMs(slo.metric.percentile) : null;
    case 'mean':
      return subject.latencySamples > 0 ? subject.meanMs : null;
    case 'max':
      return subject.latencySamples > 0 ? subject.maxMs : null;
    case 'errors':
      return subject.errorRate;
    case 'dropped':
      return subject.dropRate;
    case 'rate':
      return subject.rateRatio;
    case 'rps':
      return subject.achievedRate;
  }
}

function compare(value: number, operator: SloOperator, threshold: number): boolean {
  switch (operator) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
  }
}

export function evaluateSlos(slos: Slo[], subject: SloSubject): SloResult[] {
  return slos.map((slo) => {
    const measured = measure(slo, subject);
    return {
      expression: slo.expression,
      name: slo.name,
      operator: slo.operator,
      threshold: slo.threshold,
      unit: slo.unit,
      measured,
      passed: measured !== null && Number.isFinite(measured) && compare(measured, slo.operator, slo.threshold),
    };
  });
}

/** A value in the SLO's own unit, for people: `231.4ms`, `0.05%`, `0.998`, `199.6 req/s`. */
export function formatSloValue(value: number | null, unit: Slo['unit'], name: string): string {
  if (value === null) return 'n/a';
  if (unit === 'ms') return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}ms`;
  if (unit === 'req/s') return `${value.toFixed(1)} req/s`;
  if (name === 'rate') return value.toFixed(3);
  return `${(value * 100).toFixed(value < 0.001 && value > 0 ? 3 : 2)}%`;
}
