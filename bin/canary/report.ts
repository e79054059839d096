import { formatDuration } from '../cli/duration.js';
import { printJson, type OutputMode } from '../cli/output.js';
import { summarizeEngineResult } from '../deploy/engine.js';
import type { CanaryReport } from './rollout.js';

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
    printJson({ ok, ...meta, canary, ...summarizeEngineResult(result) });
    return ok ? 0 : 1;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  for (const warning of report.result.warnings) out(`warning: ${warning}`);
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
