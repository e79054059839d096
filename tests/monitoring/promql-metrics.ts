import { readFileSync } from 'node:fs';
import { repoPath } from '../helpers/quotes-fixture.js';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/**
 * Metric names a PromQL expression reads. A small lexer, not a parser: it drops string
 * literals, label matchers, range/subquery brackets and grouping clauses, then keeps the
 * identifiers that are not function calls or keywords. tests/monitoring/promql-metrics.test.ts
 * pins its behaviour on the shapes our expressions use.
 */
export function metricNames(expr: string): string[] {
  let text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  text = text.replace(/\{[^}]*\}/g, ' ');
  text = text.replace(/\[[^\]]*\]/g, ' ');
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  const identifier = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  for (let match = identifier.exec(text); match; match = identifier.exec(text)) {
    const name = match[0];
    const before = text[match.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue; // part of a number like 1e3
    const rest = text.slice(match.index + name.length);
    if (/^\s*\(/.test(rest)) continue; // function or aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

/** Metric names listed in a fixture file of tests/fixtures/exporter-metrics/ (comments skipped). */
export function fixtureMetricNames(file: string): Set<string> {
  const text = readFileSync(repoPath('tests/fixtures/exporter-metrics', file), 'utf8');
  return new Set(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/** Sample names in a Prometheus text exposition (what `/metrics` serves). */
export function exposedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (match) names.add(match[1]);
  }
  return names;
}
