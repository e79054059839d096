import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { PrometheusConfig, ScrapeConfig } from '../../infra/monitoring/scrape-config.js';
import { requireTool } from '../helpers/tools.js';

/** Runs Debian's promtool (package `prometheus`) on files written to a fresh temp dir. */
export async function promtool(args: string[], files: Record<string, unknown>): Promise<{ ok: boolean; output: string; dir: string }> {
  requireTool('promtool', 'prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'qctl-promtool-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(dir, name), typeof content === 'string' ? content : stringify(content));
    }
    const result = await execa('promtool', args, { cwd: dir, reject: false, timeout: 30_000 });
    return { ok: result.exitCode === 0, output: `${result.stdout}\n${result.stderr}`, dir };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Debian builds Prometheus without Kubernetes service discovery (its Go dependencies are not
 * packaged), so its promtool rejects `kubernetes_sd_configs`. For the offline check every
 * Kubernetes SD block becomes a file SD block; everything else, relabelling included, is
 * checked as synthesized.
 */
export function withFileDiscovery(config: PrometheusConfig, targetsFile: string): PrometheusConfig {
  return {
    ...config,
    scrape_configs: config.scrape_configs.map((job): ScrapeConfig & { file_sd_configs?: { files: string[] }[] } => {
      if (!job.kubernetes_sd_configs) return job;
      const { kubernetes_sd_configs: _dropped, ...rest } = job;
      return { ...rest, file_sd_configs: [{ files: [targetsFile] }] };
    }),
  };
}
