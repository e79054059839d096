import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, inject } from 'vitest';
import { parse as parseYaml } from 'yaml';

/** The kube-assets folder, when the real API server tier runs. */
export const KUBE_ASSETS = process.env.QCTL_TEST_KUBE_ASSETS;

/** `describe` for the real API server tier: skipped (global-setup.ts says why, once) without the assets. */
export const describeRealKube = describe.skipIf(!KUBE_ASSETS);

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; uid?: string } & Record<string, unknown>;
  spec?: unknown;
  status?: unknown;
} & Record<string, unknown>;

/**
 * One real kube-apiserver + controller-manager + scheduler + stand-in kubelet from kube-assets,
 * microk8s look-alike with the CRDs of infra/crds, in its own directory on free ports.
 */
export class RealKube {
  private stopped = false;
  private readonly onExit = () => this.stopSync();

  private constructor(
    readonly dir: string,
    readonly kubeconfig: string,
    private readonly tls: { server: string; ca: Buffer; cert: Buffer; key: Buffer },
  ) {
    process.once('exit', this.onExit);
    // On Ctrl-C or a kill: wipe the instance, then die of the signal as if nobody had listened.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        this.stopSync();
        process.kill(process.pid, signal);
      });
    }
  }

  /** Starts an instance (about 15-20 s); `featureGates` replaces the API server's feature gates. */
  static async start(options: { nodes?: 0 | 1; featureGates?: string } = {}): Promise<RealKube> {
    if (!KUBE_ASSETS) throw new Error('QCTL_TEST_KUBE_ASSETS is not set');
    const dir = mkdtempSync(join(inject('kubeInstances'), 'kube-'));
    // start's own limit is 2 minutes; 3 here because a busy 2-core CI machine may start two instances at once.
    const args = ['--dir', dir, '--microk8s', '--crds', 'infra/crds', '--nodes', String(options.nodes ?? 1), '--timeout', '180'];
    const started = await execa(join(KUBE_ASSETS, 'start'), args, {
      env: {
        KUBE_ASSETS_CACHE: inject('kubeAssetsCache'),
        ...(options.featureGates === undefined ? {} : { KUBE_FEATURE_GATES: options.featureGates }),
      },
      reject: false,
      timeout: 200_000,
    });
    const line = String(started.stdout)
      .split('\n')
      .find((l) => l.startsWith('KUBECONFIG='));
    if (started.exitCode !== 0 || !line) {
      spawnSync(join(KUBE_ASSETS, 'stop'), ['--dir', dir, '--wipe'], { stdio: 'ignore' });
      const why = started.timedOut ? 'timed out after 200 s' : `exit ${started.exitCode}`;
      throw new Error(`kube-assets start failed (${why}):\n${String(started.stderr)}`);
    }
    const kubeconfig = line.slice('KUBECONFIG='.length);
    const config = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const b64 = (s: string) => Buffer.from(s, 'base64');
    return new RealKube(dir, kubeconfig, {
      server: config.clusters[0]!.cluster.server,
      ca: b64(config.clusters[0]!.cluster['certificate-authority-data']),
      cert: b64(config.users[0]!.user['client-certificate-data']),
      key: b64(config.users[0]!.user['client-key-data']),
    });
  }

  /** A plain request to the API server; JSON in and out. */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = new URL(path, this.tls.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.tls.ca,
          cert: this.tls.cert,
          key: this.tls.key,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
          });
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** An object, or undefined when the server answers 404. */
  async get(path: string): Promise<KubeObject | undefined> {
    const res = await this.call('GET', path);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as KubeObject;
  }

  async list(path: string): Promise<KubeObject[]> {
    const res = await this.call('GET', path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body.items as KubeObject[]).map((item) => item);
  }

  /**
   * resourceVersion of every object qctl labelled for the env (every kind it applies, CRDs
   * included), by "Kind ns/name": what a no-op `up` must leave exactly as it is.
   */
  async versions(env: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [kind, path] of VERSIONED) {
      const res = await this.call('GET', `${path}?labelSelector=${encodeURIComponent(`qctl.dev/env=${env}`)}`);
      if (res.status === 404) continue; // a CRD kind this instance does not serve
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      for (const item of res.body.items as KubeObject[]) {
        out.set(`${kind} ${item.metadata.namespace ?? ''}/${item.metadata.name}`, item.metadata.resourceVersion!);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.stopped || !KUBE_ASSETS) return;
    this.stopped = true;
    process.off('exit', this.onExit);
    await execa(join(KUBE_ASSETS, 'stop'), ['--dir', this.dir, '--wipe'], { reject: false, timeout: 60_000 });
  }

  private stopSync(): void {
    if (this.stopped || !KUBE_ASSETS) return;
    this.stopped = true;
    spawnSync(join(KUBE_ASSETS, 'stop'), ['--dir', this.dir, '--wipe'], { stdio: 'ignore', timeout: 60_000 });
  }
}

/** Every kind qctl applies, with its cluster-wide list path. */
const VERSIONED: [string, string][] = [
  ['Namespace', '/api/v1/namespaces'],
  ['ConfigMap', '/api/v1/configmaps'],
  ['Secret', '/api/v1/secrets'],
  ['Service', '/api/v1/services'],
  ['ServiceAccount', '/api/v1/serviceaccounts'],
  ['PersistentVolumeClaim', '/api/v1/persistentvolumeclaims'],
  ['Deployment', '/apis/apps/v1/deployments'],
  ['StatefulSet', '/apis/apps/v1/statefulsets'],
  ['Job', '/apis/batch/v1/jobs'],
  ['Ingress', '/apis/networking.k8s.io/v1/ingresses'],
  ['NetworkPolicy', '/apis/networking.k8s.io/v1/networkpolicies'],
  ['HorizontalPodAutoscaler', '/apis/autoscaling/v2/horizontalpodautoscalers'],
  ['PodDisruptionBudget', '/apis/policy/v1/poddisruptionbudgets'],
  ['ClusterRole', '/apis/rbac.authorization.k8s.io/v1/clusterroles'],
  ['ClusterRoleBinding', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'],
  ['Role', '/apis/rbac.authorization.k8s.io/v1/roles'],
  ['RoleBinding', '/apis/rbac.authorization.k8s.io/v1/rolebindings'],
  ['HTTPRoute', '/apis/gateway.networking.k8s.io/v1/httproutes'],
  ['Gateway', '/apis/gateway.networking.k8s.io/v1/gateways'],
  ['VirtualService', '/apis/networking.istio.io/v1/virtualservices'],
  ['DestinationRule', '/apis/networking.istio.io/v1/destinationrules'],
  ['Cluster', '/apis/postgresql.cnpg.io/v1/clusters'],
  ['Pooler', '/apis/postgresql.cnpg.io/v1/poolers'],
];
