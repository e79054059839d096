import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { killAndWait } from '../helpers/redis-server.js';
import { freePort } from '../helpers/ports.js';
import { requireTool } from '../helpers/tools.js';

export interface PrometheusServer {
  url: string;
  pid: number;
  /** Instant query; resolves with Prometheus's whole JSON answer (status success or error). */
  query(expr: string): Promise<PrometheusAnswer>;
  get(path: string): Promise<PrometheusAnswer>;
  logs(): string;
  stop(): Promise<void>;
}

export interface PrometheusAnswer {
  status: 'success' | 'error';
  data?: { resultType?: string; result?: { metric: Record<string, string>; value?: [number, string] }[]; [key: string]: unknown };
  errorType?: string;
  error?: string;
}

/** A real `prometheus` (Debian package) on a free loopback port with the given config and rule files. */
export async function startPrometheus(options: {
  config: unknown;
  ruleFiles?: Record<string, unknown>;
  retention?: string;
}): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'qctl-prometheus-'));
  for (const [name, content] of Object.entries(options.ruleFiles ?? {})) await writeFile(join(dir, name), stringify(content));
  await writeFile(join(dir, 'prometheus.yml'), stringify(options.config));
  const port = await freePort();
  let output = '';
  requireTool('prometheus', 'prometheus');
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(options.retention ? [`--storage.tsdb.retention.time=${options.retention}`] : []),
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await killAndWait(child, 'SIGTERM');
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`prometheus exited with code ${child.exitCode}:\n${output}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready on port ${port} within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const get = async (path: string) => (await (await fetch(`${url}${path}`)).json()) as PrometheusAnswer;
  return {
    url,
    pid: child.pid!,
    get,
    query: (expr) => get(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    logs: () => output,
    stop,
  };
}

export interface PodTemplateMeta {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
}

/**
 * The meta labels Kubernetes pod discovery attaches to a target of this pod template, so a
 * static target goes through the synthesized relabelling exactly as a discovered pod would.
 */
export function podMetaLabels(
  template: PodTemplateMeta,
  target: { namespace: string; pod: string; phase?: string },
): Record<string, string> {
  const sanitize = (key: string) => key.replace(/[^a-zA-Z0-9_]/g, '_');
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: target.namespace,
    __meta_kubernetes_pod_name: target.pod,
    __meta_kubernetes_pod_phase: target.phase ?? 'Running',
    __meta_kubernetes_pod_container_init: 'false',
  };
  for (const [key, value] of Object.entries(template.metadata.labels)) labels[`__meta_kubernetes_pod_label_${sanitize(key)}`] = value;
  for (const [key, value] of Object.entries(template.metadata.annotations ?? {}))
    labels[`__meta_kubernetes_pod_annotation_${sanitize(key)}`] = value;
  return labels;
}

/** A template whose `prometheus.io/port` annotation names `port`: in the tests pods listen on free ports, not 8080. */
export function listeningOn<T extends PodTemplateMeta>(template: T, port: number): T {
  return {
    ...template,
    metadata: { ...template.metadata, annotations: { ...template.metadata.annotations, 'prometheus.io/port': String(port) } },
  };
}
