import { formatDuration } from '../cli/duration.js';
import { printJson, printText, type OutputMode } from '../cli/output.js';
import { summarizeEngineResult } from '../deploy/engine.js';
import type { Decision, Numbers } from './analysis.js';
import type { CanaryReport } from './rollout.js';
import { EXCLUDED_ROUTES } from './version-metrics.js';

/** The analysis in one object: what was judged, over which time, step by step, and the last numbers. */
export type AnalysisSummary = {
  outcome: CanaryReport['outcome'];
  reason: string | null;
  judged: { requests: 'user'; excludedRoutes: readonly string[]; from: string | null; to: string | null };
  checks: number;
  steps: {
    step: number;
    weight: number;
    checks: number;
    passed: number;
    waited: number;
    failed: number;
    result: Decision['action'] | null;
  }[];
  /** The numbers of the last check that had any. */
  last: (Numbers & { window: Decision['window'] }) | null;
};

export function summarizeAnalysis(report: CanaryReport): AnalysisSummary {
  const { decisions } = report;
  const steps = [...new Set(decisions.map((d) => d.step))].map((step) => {
    const of = decisions.filter((d) => d.step === step);
    const count = (outcome: Decision['outcome']) => of.filter((d) => d.outcome === outcome).length;
    const last = of.at(-1)!;
    return {
      step,
      weight: last.weight,
      checks: of.length,
      passed: count('pass'),
      waited: count('wait'),
      failed: count('fail'),
      result: last.action === 'check again' ? null : last.action,
    };
  });
  const withNumbers = decisions.filter((d) => d.numbers).at(-1);
  return {
    outcome: report.outcome,
    reason: report.reason ?? null,
    judged: {
      requests: 'user',
      excludedRoutes: EXCLUDED_ROUTES,
      from: decisions[0]?.window.start ?? null,
      to: decisions.at(-1)?.window.end ?? null,
    },
    checks: decisions.length,
    steps,
    last: withNumbers ? { ...withNumbers.numbers!, window: withNumbers.window } : null,
  };
}

/** One line: how many checks judged which requests over what time. */
function describeAnalysis(summary: AnalysisSummary): string {
  const steps = summary.steps.map((s) => `${s.weight}%: ${s.passed} passed, ${s.waited} waited, ${s.failed} failed`).join('; ');
  return `analysis: ${summary.checks} check${summary.checks === 1 ? '' : 's'} of user requests from ${summary.judged.from} to ${summary.judged.to} (${steps})`;
}

/**
 * The end of `qctl up --canary`, `qctl promote` and `qctl abort`: one JSON document, or the
 * outcome in one line (the decisions were printed as they were made). Exit code: 0 when
 * promoted, left in progress by choice or aborted by hand; 1 when the analysis aborted the
 * canary or an apply failed.
 */
export function printCanaryReport(
  report: CanaryReport,
  mode: OutputMode,
  meta: { env: string; namespace: string; cluster: string; context: string; elapsedMs: number },
): number {
  const ok = report.outcome === 'promoted' || report.outcome === 'in progress' || (report.outcome === 'aborted' && report.byHand === true);
  if (mode === 'json') {
    const { result, ...canary } = report;
    const analysis = report.decisions.length ? { analysis: summarizeAnalysis(report) } : {};
    printJson({ ok, ...meta, canary: { ...canary, ...analysis }, ...summarizeEngineResult(result) });
    return ok ? 0 : 1;
  }
  const out = (line: string) => printText(`${line}\n`);
  for (const warning of report.result.warnings) out(`warning: ${warning}`);
  if (report.decisions.length) out(describeAnalysis(summarizeAnalysis(report)));
  if (report.load) {
    out(
      `canary load: ${report.load.sent} requests sent at ${report.load.rate}/s, ${report.load.responses} answered, ${report.load.errors} errors, ${report.load.dropped} dropped`,
    );
  }
  const took = `(${formatDuration(meta.elapsedMs)})`;
  switch (report.outcome) {
    case 'promoted':
      out(`promoted: ${meta.namespace}/quote-api runs ${report.image}; the canary objects are removed ${took}`);
      break;
    case 'aborted':
      out(
        `aborted: ${report.reason}; the canary objects are removed and ${meta.namespace}/quote-api still runs ${report.stableImage} ${took}`,
      );
      break;
    case 'in progress':
      out(
        `canary ${report.image} takes ${report.weight}% beside ${report.stableImage}: finish with qctl promote or qctl abort${meta.env === 'dev' ? '' : ` --env ${meta.env}`} ${took}`,
      );
      break;
    case 'failed':
      process.stderr.write(`qctl: ${report.reason ?? report.result.error?.message ?? 'the canary release failed'}\n`);
      break;
  }
  return ok ? 0 : 1;
}
