import { formatDuration } from '../cli/duration.js';
import { formatSloValue } from './slo.js';
import type { LoadReport } from './report-schema.js';

const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : v < 10 ? `${v.toFixed(2)}ms` : v < 10_000 ? `${v.toFixed(1)}ms` : `${(v / 1000).toFixed(2)}s`;
const pct = (v: number): string => `${(v * 100).toFixed(v > 0 && v < 0.001 ? 3 : 2)}%`;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * A ramp's whole-run "target" is only the average of its steps' rates, which nobody asked
 * for: a ramp is summarised by its steps, a constant run by its one target.
 */
export function rateSummary(report: LoadReport): string {
  const achieved = `achieved ${report.achievedRate.toFixed(1)} req/s`;
  const ramp = report.config.ramp;
  if (!ramp || !report.ramp) return `target ${report.targetRate.toFixed(1)} req/s, ${achieved} (${report.rateRatio.toFixed(3)})`;
  const planned = Math.floor(Math.abs(ramp.end - ramp.start) / ramp.step) + 1;
  return `ramp ${ramp.start}→${ramp.end} req/s, step ${ramp.step} every ${formatDuration(ramp.stepDurationMs)} (${report.ramp.steps.length} of ${planned} steps run); ${achieved} on average (${report.rateRatio.toFixed(3)} of the schedule)`;
}

/** Only bodies are counted: a GET run has none to send, so "sent 0 B" would say nothing. */
export function bytesSummary(report: LoadReport): string {
  const received = `received ${formatBytes(report.bytes.received)} of response bodies`;
  return report.bytes.sent > 0 ? `${received}, sent ${formatBytes(report.bytes.sent)} of request bodies` : received;
}

export function kneeSummary(ramp: NonNullable<LoadReport['ramp']>): string {
  if (ramp.highestPassed === null) return 'none: the first step already breached the SLO';
  if (ramp.knee === null) {
    return `none found: every step up to ${ramp.highestPassed} req/s met the SLO (ramp higher to find where the service bends)`;
  }
  const breach = ramp.steps.find((s) => !s.passed);
  return `${ramp.knee} req/s is the highest rate that met the SLO${breach ? `; ${breach.rate} req/s breached it${ramp.stoppedEarly ? ' and the ramp stopped there' : ''}` : ''}`;
}

/** Which ramp step the SLO table shows: a ramp is judged at one step, not over the whole run. */
export function sloStepLabel(ramp: NonNullable<LoadReport['ramp']>): string {
  const first = ramp.steps[0];
  if (ramp.highestPassed === null) return `judged at the first step${first ? `, ${first.rate} req/s` : ''}, which breached it`;
  return ramp.knee === null
    ? `judged at the highest step, ${ramp.highestPassed} req/s`
    : `judged at the knee, ${ramp.knee} req/s, the highest step that met it`;
}

export const WORKER_COLUMNS = ['worker', 'target', 'achieved', 'sent', 'dropped', 'errors', 'start', 'loop p99', 'state'];

/** One row per worker: its share, what it achieved (a starved worker shows here) and its state. */
export function workerRows(workers: NonNullable<LoadReport['workers']>): string[][] {
  return workers.list.map((w) => [
    `${w.index}`,
    `${w.targetRate.toFixed(1)}/s`,
    `${w.achievedRate.toFixed(1)}/s`,
    `${w.sent}`,
    `${w.dropped}`,
    `${w.errors}`,
    w.startOffsetMs === null ? '-' : `+${formatDuration(w.startOffsetMs)}`,
    w.loopDelayP99Ms === null ? '-' : ms(w.loopDelayP99Ms),
    `${w.failed && w.state !== 'missing' ? 'failed, ' : ''}${w.state}${w.note ? ` (${w.note})` : ''}`,
  ]);
}

/** How the run was cut short, if it was. */
export function interruption(report: LoadReport): string {
  if (!report.interrupted) return '';
  return ` (${report.workers?.stopped ?? 'interrupted by Ctrl-C'}: partial results)`;
}

/** Why a verdict reads as it does, when the SLO table alone does not say. */
export function verdictNote(report: LoadReport): string {
  const missing = report.workers?.list.filter((w) => w.state === 'missing') ?? [];
  if (missing.length > 0) return ` (worker ${missing.map((w) => w.index).join(', ')} returned no result)`;
  const failed = report.workers?.list.filter((w) => w.failed) ?? [];
  if (failed.length > 0) return ` (worker ${failed.map((w) => w.index).join(', ')} died before finishing its share)`;
  if (!report.generator.trusted) return ' (latency p99 not trustworthy: see "floor" above; the target may not be to blame)';
  return report.slo.results.length === 0 && !report.ramp ? ' (no --slo given)' : '';
}

/** The generator's noise floor: its event-loop delay while it sent, and whether the p99 can be trusted. */
export function floorSummary(report: LoadReport): string {
  const d = report.generator.loopDelayMs;
  if (d === null) return 'not measured';
  const whose = report.workers ? ' (the noisiest worker)' : '';
  return `qctl's event loop ran late by p99 ${ms(d.p99)}, max ${ms(d.max)}${whose}${report.generator.trusted ? '' : ': TOO HIGH to trust the latency p99'}`;
}

/** The report for people: what ran, how fast, how it answered, and the verdict. */
export function formatTextReport(report: LoadReport): string {
  const out: string[] = [];
  const r = report.requests;
  out.push(`qctl load: ${report.target.description}`);
  out.push(
    `run        ${formatDuration(report.elapsedMs)}${interruption(report)}, max in-flight ${report.config.maxInflight} (send grace ${formatDuration(report.config.sendGraceMs)}), timeout ${formatDuration(report.config.timeoutMs)}`,
  );
  out.push(`rate       ${rateSummary(report)}`);
  out.push(
    `requests   ${r.scheduled} scheduled, ${r.sent} sent, ${r.dropped} dropped (${pct(report.dropRate)}), ${r.responses} responses, ${r.errors} errors (${pct(report.errorRate)})${r.cancelled ? `, ${r.cancelled} cancelled` : ''}`,
  );
  const l = report.latencyMs;
  out.push(
    l
      ? `latency    p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}  mean ${ms(l.mean)} (from scheduled send time)`
      : 'latency    no responses',
  );
  out.push(`floor      ${floorSummary(report)}`);
  if (report.generator.note) out.push(`warning    ${report.generator.note}`);
  if (report.generator.workersCap) out.push(`workers    ${report.generator.workersCap.note}`);
  const statuses = Object.entries(report.statusCodes).map(([code, n]) => `${code}: ${n}`);
  out.push(`status     ${statuses.length ? statuses.join(', ') : 'none'}`);
  const errors = Object.entries(report.errorsByKind).map(([kind, n]) => `${kind}: ${n}`);
  if (errors.length) out.push(`errors     ${errors.join(', ')}`);
  if (r.sent > 0 && r.responses === 0 && report.errorsByKind.connection_refused === r.sent) {
    out.push(
      `hint       nothing is listening at ${report.target.url ?? 'the target'}: start the service (e.g. \`qctl dev\`) or check the URL`,
    );
  }
  out.push(`bytes      ${bytesSummary(report)}`);

  if (report.ramp) {
    out.push('', 'ramp');
    out.push(
      table(
        ['rate', 'achieved', 'p50', 'p99', 'max', 'errors', 'dropped', 'SLO'],
        report.ramp.steps.map((s) => [
          `${s.rate}/s`,
          `${s.achievedRate.toFixed(1)}/s`,
          ms(s.latencyMs?.p50),
          ms(s.latencyMs?.p99),
          ms(s.latencyMs?.max),
          pct(s.errorRate),
          pct(s.dropRate),
          s.passed
            ? 'pass'
            : `FAIL (${s.slo
                .filter((x) => !x.passed)
                .map((x) => x.name)
                .join(', ')})`,
        ]),
      ),
    );
    out.push(`knee       ${kneeSummary(report.ramp)}`);
  }

  if (report.hpa) {
    out.push('', `autoscaling (HPA ${report.hpa.namespace}/${report.hpa.name})`);
    if (report.hpa.error) out.push(`  could not read the HPA: ${report.hpa.error}`);
    const perSecond = new Map(report.series.map((s) => [s.second, s]));
    out.push(
      table(
        ['time', 'target', 'sent/s', 'p99', 'replicas', 'desired', 'ready', 'cpu'],
        report.hpa.samples.map((h) => {
          const s = perSecond.get(Math.floor(h.t / 1000));
          return [
            formatDuration(h.t),
            s ? `${s.targetRate}/s` : '-',
            s ? `${s.sent}` : '-',
            ms(s?.p99),
            `${h.currentReplicas ?? '-'}`,
            `${h.desiredReplicas ?? '-'}`,
            `${h.readyReplicas ?? '-'}`,
            h.cpuUtilization === null ? '-' : `${h.cpuUtilization}%`,
          ];
        }),
      ),
    );
  }

  if (report.workers) {
    const w = report.workers;
    out.push(
      '',
      `workers    ${w.count} ${w.inCluster ? `pods of Job ${w.job ?? '-'}` : 'threads'}, merged exactly (histograms added, counters summed)`,
    );
    out.push(table(WORKER_COLUMNS, workerRows(w)));
  }

  if (report.slo.results.length) {
    out.push('', report.ramp ? `SLO (${sloStepLabel(report.ramp)})` : 'SLO');
    out.push(
      table(
        ['expression', 'measured', 'result'],
        report.slo.results.map((s) => [s.expression, formatSloValue(s.measured, s.unit, s.name), s.passed ? 'pass' : 'FAIL']),
      ),
    );
  }
  out.push('', `verdict    ${report.verdict === 'pass' ? 'PASS' : 'FAIL'}${verdictNote(report)}`);
  return `${out.join('\n')}\n`;
}
