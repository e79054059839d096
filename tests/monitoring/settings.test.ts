import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../../infra/main.js';
import { parsePrometheusDuration } from '../../infra/monitoring/prometheus-flags.js';
import { DEFAULT_ALERT_THRESHOLDS, resolveMonitoringSettings } from '../../infra/monitoring/settings.js';

/** Does the real `prometheus` binary accept this --storage.tsdb.retention.time? (It then fails on the missing config, a different error.) */
async function prometheusAcceptsRetention(value: string): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'qctl-retention-'));
  try {
    const result = await execa(
      'prometheus',
      [
        `--storage.tsdb.retention.time=${value}`,
        `--config.file=${join(dir, 'missing.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--web.listen-address=127.0.0.1:0',
      ],
      {
        reject: false,
        timeout: 20_000,
        cwd: dir,
      },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    if (/Error parsing command\s*line arguments/.test(output)) return false;
    expect(output).toMatch(/Error loading config/);
    return true;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('retention validation mirrors Prometheus', () => {
  const values = ['15d', '2w', '1y', '1d12h', '90m', '500ms', '0', '1.5d', '15D', '12h1d', '-1d', '15 d', '10days', ''];
  it.each(values)('%j: our check agrees with the real prometheus binary', async (value) => {
    expect(parsePrometheusDuration(value).ok).toBe(await prometheusAcceptsRetention(value));
  });
});

describe('monitoring settings', () => {
  it('gives each environment its own retention and storage', () => {
    const dev = resolveMonitoringSettings({ env: 'dev' });
    const prod = resolveMonitoringSettings({ env: 'prod' });
    expect([dev.retention, dev.storageSize]).toEqual(['2d', '2Gi']);
    expect([prod.retention, prod.storageSize]).toEqual(['15d', '50Gi']);
    expect(prod.alerts).toEqual(DEFAULT_ALERT_THRESHOLDS);
  });

  it('defaults the operator release label per cluster flavour and lets the config change it', () => {
    expect(resolveMonitoringSettings({ env: 'dev', cluster: 'microk8s' }).operator).toEqual({
      release: 'kube-prom-stack',
      namespace: 'observability',
    });
    expect(resolveMonitoringSettings({ env: 'dev', cluster: 'kind' }).operator).toEqual({
      release: 'kube-prometheus-stack',
      namespace: 'monitoring',
    });
    expect(resolveMonitoringSettings({ env: 'dev', config: { operator: { release: 'prom' } } }).operator.release).toBe('prom');
  });
});

describe('bad monitoring input fails synth with one clear line', () => {
  const attempt = async (options: Parameters<typeof synthesize>[0]) => {
    try {
      await synthesize(options);
    } catch (error) {
      return error as Error & { exitCode?: number };
    }
    throw new Error('synthesize accepted bad input');
  };

  it('rejects an unknown --monitoring value', async () => {
    const error = await attempt({ env: 'dev', monitoring: 'prometheus', config: false });
    expect(error.message).toBe('unknown --monitoring "prometheus": use one of self, operator, none');
    expect(error.exitCode).toBe(2);
  });

  it('rejects a retention Prometheus would not accept, from qctl.config.ts and from --set', async () => {
    const fromConfig = await attempt({ env: 'prod', config: { environments: { prod: { monitoring: { retention: '1.5d' } } } } });
    expect(fromConfig.message).toMatch(/^monitoring\.retention for environment prod: Prometheus would reject "1\.5d" .*e\.g\. "15d"/);
    expect(fromConfig.exitCode).toBe(2);
    const fromSet = await attempt({ env: 'dev', set: ['monitoring.retention=10days'], config: false });
    expect(fromSet.message).toMatch(/monitoring\.retention for environment dev: Prometheus would reject "10days"/);
  });

  it('rejects an alert threshold that is not a number, even with monitoring off', async () => {
    for (const monitoring of ['self', 'none'] as const) {
      const error = await attempt({ env: 'staging', monitoring, config: { defaults: { monitoring: { alerts: { errorRatio: '1%' } } } } });
      expect(error.message).toBe(
        'monitoring.alerts.errorRatio for environment staging: must be a number such as 0.01, got "1%" (set in qctl.config.ts or --set)',
      );
      expect(error.exitCode).toBe(2);
    }
  });

  it('rejects out-of-range thresholds and unknown keys', async () => {
    expect((await attempt({ env: 'dev', set: ['monitoring.alerts.errorRatio=5'], config: false })).message).toMatch(
      /errorRatio .*must be at most 1/,
    );
    expect((await attempt({ env: 'dev', set: ['monitoring.alerts.latencyP99Seconds=-1'], config: false })).message).toMatch(
      /latencyP99Seconds .*positive/,
    );
    expect((await attempt({ env: 'dev', set: ['monitoring.alerts.errorRate=0.1'], config: false })).message).toMatch(
      /monitoring\.alerts .*unknown key.*errorRate/,
    );
  });

  it('applies valid thresholds from qctl.config.ts to the synthesized rules', async () => {
    const result = await synthesize({ env: 'prod', config: { environments: { prod: { monitoring: { alerts: { errorRatio: 0.05 } } } } } });
    const rules = result.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-rules') as unknown as {
      data: Record<string, string>;
    };
    expect(rules.data['quotes.rules.yaml']).toContain('> 0.05');
    expect(rules.data['quotes.rules.yaml']).toContain('More than 5% of quote API requests');
  });
});
