import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { allAlertingRules, buildAlertRules, type AlertingRule } from '../../infra/monitoring/alert-rules.js';
import { DEFAULT_ALERT_THRESHOLDS, type AlertThresholds } from '../../infra/monitoring/settings.js';
import { promtool } from './promtool.js';

/**
 * `promtool test rules` for every alert: given input series, the alert fires above its
 * threshold and stays quiet below it. Series are derived from the thresholds, so the same
 * cases run for the defaults and for custom qctl.config.ts values.
 */

interface Case {
  series: { series: string; values: string }[];
  evalTime: string;
  /** Labels the firing alert carries (besides alertname); absent for the quiet case. */
  labels?: Record<string, string>;
}

interface AlertCases {
  fires: Case;
  quiet: Case;
}

const ns = 'quotes-prod';
const apiPod = `namespace="${ns}",app="quote-api",pod="quote-api-7d9f-abcde"`;

function ratioSeries(
  metric: string,
  extra: string,
  errorLabel: string,
  okLabel: string,
  ratio: number,
): { series: string; values: string }[] {
  const errors = Math.min(100, 100 * ratio);
  return [
    { series: `${metric}{${apiPod},${extra},${errorLabel}}`, values: `0+${errors}x40` },
    { series: `${metric}{${apiPod},${extra},${okLabel}}`, values: `0+${100 - errors}x40` },
  ];
}

function histogram(latency: number, bucketOf: (le: number) => boolean): { series: string; values: string }[] {
  const bounds = [latency / 2, latency, latency * 2, latency * 4];
  const series = bounds.map((le) => ({
    series: `http_request_duration_seconds_bucket{${apiPod},method="GET",route="/quotes/search",status="200",le="${le}"}`,
    values: bucketOf(le) ? '0+10x40' : '0x40',
  }));
  series.push({
    series: `http_request_duration_seconds_bucket{${apiPod},method="GET",route="/quotes/search",status="200",le="+Inf"}`,
    values: '0+10x40',
  });
  return series;
}

function casesFor(t: AlertThresholds): Record<string, AlertCases> {
  const ksmPod = `namespace="${ns}",pod="quote-api-7d9f-abcde",container="quote-api"`;
  const hpa = `namespace="${ns}",horizontalpodautoscaler="quote-api"`;
  const exporter = (app: string) => `namespace="${ns}",app="${app}",pod="${app}-5c6d-xyz12"`;
  return {
    QuoteApiHighErrorRatio: {
      fires: {
        series: ratioSeries('http_requests_total', 'method="GET",route="/quotes/search"', 'status="500"', 'status="200"', t.errorRatio * 2),
        evalTime: '12m',
        labels: { namespace: ns },
      },
      quiet: {
        series: ratioSeries('http_requests_total', 'method="GET",route="/quotes/search"', 'status="500"', 'status="200"', t.errorRatio / 2),
        evalTime: '12m',
      },
    },
    QuoteApiHighLatencyP99: {
      // every request lands between 2x and 4x the threshold
      fires: { series: histogram(t.latencyP99Seconds, (le) => le >= t.latencyP99Seconds * 4), evalTime: '20m', labels: { namespace: ns } },
      // every request is faster than half the threshold
      quiet: { series: histogram(t.latencyP99Seconds, () => true), evalTime: '20m' },
    },
    QuoteApiPodRestarting: {
      fires: {
        series: [{ series: `kube_pod_container_status_restarts_total{${ksmPod}}`, values: `0x10 ${Math.ceil(t.restartsPer15m) + 2}x20` }],
        evalTime: '20m',
        labels: { namespace: ns, pod: 'quote-api-7d9f-abcde', container: 'quote-api' },
      },
      quiet: {
        series: [
          { series: `kube_pod_container_status_restarts_total{${ksmPod}}`, values: `0x10 ${Math.floor(t.restartsPer15m * 0.9)}x20` },
        ],
        evalTime: '20m',
      },
    },
    QuoteApiNoReadyReplica: {
      fires: {
        series: [{ series: `kube_deployment_status_replicas_available{namespace="${ns}",deployment="quote-api"}`, values: '1x2 0x10' }],
        evalTime: '8m',
        labels: { namespace: ns, deployment: 'quote-api' },
      },
      quiet: {
        series: [{ series: `kube_deployment_status_replicas_available{namespace="${ns}",deployment="quote-api"}`, values: '1x10' }],
        evalTime: '8m',
      },
    },
    QuoteApiHpaAtMaxReplicas: {
      fires: {
        series: [
          { series: `kube_horizontalpodautoscaler_status_current_replicas{${hpa}}`, values: '6x20' },
          { series: `kube_horizontalpodautoscaler_spec_max_replicas{${hpa}}`, values: '6x20' },
        ],
        evalTime: '18m',
        labels: { namespace: ns, horizontalpodautoscaler: 'quote-api' },
      },
      quiet: {
        series: [
          { series: `kube_horizontalpodautoscaler_status_current_replicas{${hpa}}`, values: '5x20' },
          { series: `kube_horizontalpodautoscaler_spec_max_replicas{${hpa}}`, values: '6x20' },
        ],
        evalTime: '18m',
      },
    },
    QuoteEmbeddingErrorsRising: {
      fires: {
        series: ratioSeries(
          'quotes_embedding_requests_total',
          'provider="openai"',
          'outcome="error"',
          'outcome="success"',
          t.embeddingErrorRatio * 2,
        ),
        evalTime: '25m',
        labels: { namespace: ns },
      },
      quiet: {
        series: ratioSeries(
          'quotes_embedding_requests_total',
          'provider="openai"',
          'outcome="error"',
          'outcome="success"',
          t.embeddingErrorRatio / 2,
        ),
        evalTime: '25m',
      },
    },
    PostgresDown: {
      fires: {
        series: [{ series: `pg_up{${exporter('postgres-exporter')}}`, values: '1 0x10' }],
        evalTime: '5m',
        labels: { namespace: ns, app: 'postgres-exporter', pod: 'postgres-exporter-5c6d-xyz12' },
      },
      quiet: { series: [{ series: `pg_up{${exporter('postgres-exporter')}}`, values: '1x10' }], evalTime: '5m' },
    },
    RedisDown: {
      fires: {
        series: [{ series: `redis_up{${exporter('redis-exporter')}}`, values: '1 0x10' }],
        evalTime: '5m',
        labels: { namespace: ns, app: 'redis-exporter', pod: 'redis-exporter-5c6d-xyz12' },
      },
      quiet: { series: [{ series: `redis_up{${exporter('redis-exporter')}}`, values: '1x10' }], evalTime: '5m' },
    },
    MonitoringTargetDown: {
      fires: {
        series: [{ series: `up{${exporter('redis-exporter')},job="kubernetes-pods"}`, values: '0x10' }],
        evalTime: '8m',
        labels: { namespace: ns, app: 'redis-exporter', pod: 'redis-exporter-5c6d-xyz12', job: 'kubernetes-pods' },
      },
      // an unrelated target being down is none of our business; ours are up
      quiet: {
        series: [
          { series: `up{${exporter('redis-exporter')},job="kubernetes-pods"}`, values: '1x10' },
          { series: 'up{namespace="kube-system",app="coredns",job="kubernetes-pods"}', values: '0x10' },
        ],
        evalTime: '8m',
      },
    },
  };
}

function renderAnnotations(rule: AlertingRule, labels: Record<string, string>): Record<string, string> {
  const render = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? '');
  return { summary: render(rule.annotations.summary), description: render(rule.annotations.description) };
}

function unitTest(rule: AlertingRule, testCase: Case) {
  return {
    interval: '1m',
    input_series: testCase.series,
    alert_rule_test: [
      {
        eval_time: testCase.evalTime,
        alertname: rule.alert,
        exp_alerts: testCase.labels
          ? [
              {
                exp_labels: { severity: rule.labels.severity, ...testCase.labels },
                exp_annotations: renderAnnotations(rule, testCase.labels),
              },
            ]
          : [],
      },
    ],
  };
}

async function runRuleTests(rules: ReturnType<typeof buildAlertRules>, tests: unknown[]) {
  return promtool(['test', 'rules', 'tests.yaml'], {
    'rules.yaml': stringify(rules),
    'tests.yaml': stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
  });
}

const customThresholds: AlertThresholds = { errorRatio: 0.1, latencyP99Seconds: 2, restartsPer15m: 10, embeddingErrorRatio: 0.25 };

for (const [title, thresholds] of [
  ['default thresholds', DEFAULT_ALERT_THRESHOLDS],
  ['custom thresholds from qctl.config.ts', customThresholds],
] as const) {
  describe(`alert rules with ${title} (promtool test rules)`, () => {
    const rules = buildAlertRules(thresholds);
    const cases = casesFor(thresholds);

    it('covers every alert with a firing and a quiet case', () => {
      expect(Object.keys(cases).sort()).toEqual(
        allAlertingRules(rules)
          .map((rule) => rule.alert)
          .sort(),
      );
    });

    for (const rule of allAlertingRules(rules)) {
      it(`${rule.alert} fires above its threshold and stays quiet below it`, async () => {
        const { fires, quiet } = cases[rule.alert];
        const result = await runRuleTests(rules, [unitTest(rule, fires), unitTest(rule, quiet)]);
        expect(result.output).toContain('SUCCESS');
        expect(result.ok, result.output).toBe(true);
      });
    }
  });
}

describe('the rule-test harness', () => {
  it('fails when an alert is expected below its threshold (the harness can see a wrong expectation)', async () => {
    const rules = buildAlertRules(DEFAULT_ALERT_THRESHOLDS);
    const rule = allAlertingRules(rules).find((r) => r.alert === 'QuoteApiHighErrorRatio')!;
    const quietButExpected = { ...casesFor(DEFAULT_ALERT_THRESHOLDS).QuoteApiHighErrorRatio.quiet, labels: { namespace: ns } };
    const result = await runRuleTests(rules, [unitTest(rule, quietButExpected)]);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/FAILED/);
  });

  it('every rule passes promtool check rules, with severity and a summary/description', async () => {
    const rules = buildAlertRules(DEFAULT_ALERT_THRESHOLDS);
    const result = await promtool(['check', 'rules', 'rules.yaml'], { 'rules.yaml': stringify(rules) });
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toContain(`SUCCESS: ${allAlertingRules(rules).length} rules found`);
    for (const rule of allAlertingRules(rules)) {
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description).toMatch(/Check|check/);
    }
  });
});
