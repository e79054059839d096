import { formatDuration } from '../cli/duration.js';
import { formatSloValue } from './slo.js';
import type { LoadReport } from './report-schema.js';
import {
  bytesSummary,
  floorSummary,
  interruption,
  kneeSummary,
  rateSummary,
  sloStepLabel,
  WORKER_COLUMNS,
  workerRows,
} from './text-report.js';

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

interface ChartOptions {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Tick labels for x positions (the percentile chart's x axis is not linear in percent). */
  xTicks?: { x: number; label: string }[];
  logY?: boolean;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Ticks at round values (0, 5, 10 or 0, 0.2, 0.4 rather than 0, 3.80, 7.60): the step is 1, 2
 * or 5 times a power of ten, giving at most `count` intervals up to a top of at least `max`.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = max - min || Math.abs(max) || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw - 1e-12)!;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v < max + step - 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A tick label without trailing zeros (5, 2.5, 0.2). */
const tickLabel = (n: number): string => String(Number(n.toPrecision(6)));

/**
 * Lines that coincide (errors and dropped both 0, p99 equal to max) would hide each other: each
 * later series is drawn narrower on top of the earlier, wider ones, so every colour stays visible.
 */
const strokeWidth = (index: number, count: number): number => 2 + 1.5 * (count - 1 - index);

const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** A dependency-free SVG line chart: the page must open offline, from a CI artifact, as is. */
function lineChart(options: ChartOptions): string {
  const width = 860;
  const height = 300;
  const pad = { left: 64, right: 40, top: 16, bottom: 44 };
  const all = options.series.flatMap((s) => s.points);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  if (all.length === 0) {
    return `<figure id="${options.id}"><figcaption>${escapeHtml(options.title)}</figcaption><p class="empty">no data</p></figure>`;
  }
  const xs = all.map((p) => p[0]);
  const autoXTicks = options.xTicks ? undefined : niceTicks(Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1));
  const minX = autoXTicks ? autoXTicks[0]! : Math.min(...xs);
  const maxX = autoXTicks ? autoXTicks[autoXTicks.length - 1]! : Math.max(...xs, minX + 1);
  const ys = all.map((p) => p[1]);
  const log = options.logY === true && Math.min(...ys) > 0;
  const tY = (v: number): number => (log ? Math.log10(Math.max(v, 1e-3)) : v);
  const linearYTicks = log ? [] : niceTicks(0, Math.max(...ys) || 1);
  const minY = log ? Math.floor(tY(Math.min(...ys))) : 0;
  const maxY = log ? Math.ceil(tY(Math.max(...ys)) + 1e-9) : linearYTicks[linearYTicks.length - 1]!;
  const px = (x: number): number => pad.left + ((x - minX) / (maxX - minX)) * plotW;
  const py = (y: number): number => pad.top + plotH - ((tY(y) - minY) / (maxY - minY || 1)) * plotH;

  const parts: string[] = [];
  const yTicks: number[] = [];
  if (log) for (let e = minY; e <= maxY; e++) yTicks.push(10 ** e);
  else yTicks.push(...linearYTicks);
  for (const v of yTicks) {
    const y = py(v).toFixed(1);
    parts.push(`<line class="grid" x1="${pad.left}" x2="${width - pad.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${pad.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(v)}</text>`);
  }
  const xTicks = options.xTicks ?? autoXTicks!.map((x) => ({ x, label: tickLabel(x) }));
  for (const t of xTicks) {
    parts.push(
      `<text class="tick" x="${px(t.x).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`,
    );
  }
  parts.push(`<text class="axis" x="${pad.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`);
  parts.push(
    `<text class="axis" transform="translate(14 ${pad.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
  );
  for (const [index, s] of options.series.entries()) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
    parts.push(
      `<path class="line" data-series="${escapeHtml(s.name)}" d="${d}" stroke="${s.color}" stroke-width="${strokeWidth(index, options.series.length)}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    for (const p of s.points) {
      parts.push(
        `<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="${strokeWidth(index, options.series.length) / 2 + 1}" fill="${s.color}"><title>${escapeHtml(s.name)}: ${fmt(p[1])} at ${fmt(p[0])}</title></circle>`,
      );
    }
  }
  const legend = options.series.map((s) => `<span class="key"><i style="background:${s.color}"></i>${escapeHtml(s.name)}</span>`).join('');
  return `<figure id="${options.id}"><figcaption>${escapeHtml(options.title)}</figcaption>
<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeHtml(options.title)}">${parts.join('')}</svg>
<div class="legend">${legend}</div></figure>`;
}

/** Percentile p drawn at -log10(1 - p/100): the tail gets room, like HdrHistogram's plots. */
const percentileX = (p: number): number => -Math.log10(1 - Math.min(p, 99.999) / 100);

function tableHtml(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const msText = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${fmt(v)} ms`);

/** One self-contained page: inline CSS and SVG, the JSON report embedded, no network fetches. */
export function renderHtmlReport(report: LoadReport): string {
  const l = report.latencyMs;
  const series = report.series;
  const latencyChart = lineChart({
    id: 'latency-over-time',
    title: 'Latency over time (from scheduled send time)',
    xLabel: 'seconds since start',
    yLabel: 'latency (ms)',
    logY: true,
    series: [
      { name: 'p50', color: '#2b8a3e', points: series.filter((s) => s.p50 !== null).map((s) => [s.second, s.p50!]) },
      { name: 'p99', color: '#e8590c', points: series.filter((s) => s.p99 !== null).map((s) => [s.second, s.p99!]) },
      { name: 'max', color: '#c92a2a', dashed: true, points: series.filter((s) => s.max !== null).map((s) => [s.second, s.max!]) },
    ],
  });
  const rateChart = lineChart({
    id: 'rate-over-time',
    title: 'Rate over time',
    xLabel: 'seconds since start',
    yLabel: 'requests per second',
    series: [
      { name: 'target', color: '#868e96', dashed: true, points: series.map((s) => [s.second, s.targetRate]) },
      { name: 'sent', color: '#1971c2', points: series.map((s) => [s.second, s.sent]) },
      { name: 'dropped', color: '#c92a2a', points: series.map((s) => [s.second, s.dropped]) },
      { name: 'errors', color: '#e8590c', points: series.map((s) => [s.second, s.errors]) },
    ],
  });
  const curve = report.percentiles.filter((p) => p.percentile < 100);
  const percentileChart = lineChart({
    id: 'latency-by-percentile',
    title: 'Latency by percentile',
    xLabel: 'percentile',
    yLabel: 'latency (ms)',
    logY: true,
    xTicks: [0, 90, 99, 99.9, 99.99, 99.999].map((p) => ({ x: percentileX(p), label: `${p}%` })),
    series: [{ name: 'latency', color: '#5f3dc4', points: curve.map((p) => [percentileX(p.percentile), p.ms]) }],
  });
  const hpaChart = report.hpa
    ? lineChart({
        id: 'replicas-over-time',
        title: `Autoscaling: HPA ${report.hpa.namespace}/${report.hpa.name}`,
        xLabel: 'seconds since start',
        yLabel: 'replicas',
        series: [
          {
            name: 'current',
            color: '#1971c2',
            points: report.hpa.samples.filter((h) => h.currentReplicas !== null).map((h) => [h.t / 1000, h.currentReplicas!]),
          },
          {
            name: 'desired',
            color: '#e8590c',
            dashed: true,
            points: report.hpa.samples.filter((h) => h.desiredReplicas !== null).map((h) => [h.t / 1000, h.desiredReplicas!]),
          },
          {
            name: 'ready',
            color: '#2b8a3e',
            points: report.hpa.samples.filter((h) => h.readyReplicas !== null).map((h) => [h.t / 1000, h.readyReplicas!]),
          },
        ],
      })
    : '';

  const summaryRows: string[][] = [
    ['target', report.target.description],
    ['run', `${formatDuration(report.elapsedMs)}${interruption(report)}`],
    ['rate', rateSummary(report)],
    [
      'requests',
      `${report.requests.scheduled} scheduled, ${report.requests.sent} sent, ${report.requests.dropped} dropped, ${report.requests.responses} responses, ${report.requests.errors} errors`,
    ],
    [
      'latency',
      l
        ? `p50 ${msText(l.p50)} · p90 ${msText(l.p90)} · p99 ${msText(l.p99)} · p99.9 ${msText(l.p999)} · max ${msText(l.max)}`
        : 'no responses',
    ],
    ['noise floor', `${floorSummary(report)}${report.generator.note ? `. ${report.generator.note}` : ''}`],
    ...(report.generator.workersCap ? [['workers', report.generator.workersCap.note]] : []),
    [
      'status codes',
      Object.entries(report.statusCodes)
        .map(([c, n]) => `${c}: ${n}`)
        .join(', ') || 'none',
    ],
    [
      'errors',
      Object.entries(report.errorsByKind)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ') || 'none',
    ],
    ['bytes', bytesSummary(report)],
  ];
  const sloTable = report.slo.results.length
    ? tableHtml(
        ['SLO', 'measured', 'result'],
        report.slo.results.map((s) => [s.expression, formatSloValue(s.measured, s.unit, s.name), s.passed ? 'pass' : 'FAIL']),
      )
    : '<p>No SLO given.</p>';
  const rampTable = report.ramp
    ? `<h2>Ramp</h2><p>Knee: ${escapeHtml(kneeSummary(report.ramp))}.</p>${tableHtml(
        ['rate', 'achieved', 'p50', 'p99', 'errors', 'dropped', 'SLO'],
        report.ramp.steps.map((s) => [
          `${s.rate}/s`,
          `${s.achievedRate.toFixed(1)}/s`,
          msText(s.latencyMs?.p50),
          msText(s.latencyMs?.p99),
          `${(s.errorRate * 100).toFixed(2)}%`,
          `${(s.dropRate * 100).toFixed(2)}%`,
          s.passed ? 'pass' : 'FAIL',
        ]),
      )}`
    : '';
  const workersTable = report.workers
    ? `<h2>Workers</h2><p>${report.workers.count} ${report.workers.inCluster ? `pods of Job ${escapeHtml(report.workers.job ?? '-')}` : 'threads'}; their histograms and counters are merged exactly into the numbers above.</p>${tableHtml(WORKER_COLUMNS, workerRows(report.workers))}`
    : '';
  // `<` is escaped so the embedded JSON can never close its script element.
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qctl load report: ${escapeHtml(report.verdict.toUpperCase())}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:920px;color:#212529;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.pass{background:#2b8a3e}.fail{background:#c92a2a}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #dee2e6}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}
svg .grid{stroke:#e9ecef}svg .tick,svg .axis{font-size:11px;fill:#495057}svg .line{fill:none;stroke-linejoin:round}
.legend{font-size:12px}.key{margin-right:14px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.empty{color:#868e96}
</style></head><body>
<h1>qctl load report <span class="verdict ${report.verdict}" id="verdict">${report.verdict.toUpperCase()}</span></h1>
<p>Started ${escapeHtml(report.startedAt)}. Latency counts from each request's scheduled send time, so a stalled service shows up in full.</p>
${tableHtml(['', ''], summaryRows)}
<h2>SLO${report.ramp ? ` (${escapeHtml(sloStepLabel(report.ramp))})` : ''}</h2>${sloTable}
${rampTable}
${workersTable}
<h2>Charts</h2>
${latencyChart}
${percentileChart}
${rateChart}
${hpaChart}
<script type="application/json" id="qctl-load-report">${data}</script>
</body></html>
`;
}
