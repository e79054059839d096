import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from '../helpers/fake-kube-api.js';

/**
 * The fake Kubernetes API against the real one: every request qctl (and kubectl, for two
 * reference exchanges) sent to a real kube-apiserver is replayed, in order, against the fake,
 * and each answer must match the recorded one in status code, content type and shape (which
 * keys are present or absent: top level, metadata, list items, Status details and causes, and
 * the empty lists/maps the request sent). Values that differ by nature are not compared: uids,
 * timestamps, resourceVersions, managedFields contents. And where the real server wrote on an
 * apply (resourceVersion or generation moved after the preceding read), the fake must too, and
 * only there: that is what made qctl's no-op `up` a write on a real cluster.
 */

type Exchange = {
  seq: number;
  scenario: string;
  method: string;
  path: string;
  request: { contentType?: string; accept?: string; body?: unknown };
  response: { status: number; contentType?: string; body?: unknown };
};

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'k8s-recordings');

function load(file: string): Exchange[] {
  return gunzipSync(readFileSync(join(FIXTURES, file)))
    .toString('utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Exchange);
}

/**
 * Where the fake knowingly differs, each with the reason; everything else must match.
 * These exchanges are still replayed (state stays in step), only their answer is not compared.
 */
type Gap = { scenario: RegExp; path: RegExp; method?: string; when?: (recorded: unknown, fake: unknown) => boolean; reason: string };

const hasItems = (body: unknown) => ((body as { items?: unknown[] } | undefined)?.items?.length ?? 0) > 0;

const KNOWN_GAPS: Gap[] = [
  {
    scenario: /^reference-kubectl/,
    path: /^\/openapi\//,
    reason: 'kubectl downloads the OpenAPI schema; qctl never does and the fake serves none',
  },
  {
    scenario: /^reference-kubectl/,
    path: /^\/apis\/(apiregistration|events|authentication|authorization|flowcontrol|certificates|node|scheduling|discovery|admissionregistration|coordination)[^/]*\/[^/]+$|^\/apis\/(autoscaling\/v1|autoscaling\/v2beta\d|batch\/v1beta1|policy\/v1beta1|storage\.k8s\.io\/v1beta1)$/,
    reason: "kubectl's discovery sweep reaches API groups qctl never uses; the fake serves only the kinds qctl applies",
  },
  {
    scenario: /^down-prune-data$/,
    path: /persistentvolumeclaims\/prometheus-data/,
    method: 'DELETE',
    reason:
      'PVC protection: the real PVC stays Terminating until its pod is gone, so a second DELETE still answers 200; the fake removes it at once (404)',
  },
  {
    scenario: /^down-prune-data$/,
    path: /\/configmaps\/qctl-inventory$/,
    method: 'DELETE',
    reason:
      "a real namespace is finalized asynchronously, so its objects can still be deleted (200) right after the namespace; the fake empties it at once (404, which qctl's down reports as already gone)",
  },
  {
    scenario: /./,
    path: /\/pods$/,
    when: (recorded, fake) => !hasItems(recorded) && hasItems(fake),
    reason:
      "controllers create pods asynchronously, so qctl's first poll right after an apply may find none; the fake's stand-in kubelet creates them at once",
  },
  {
    scenario: /^status-/,
    path: /\/events$/,
    when: (recorded, fake) => hasItems(recorded) && !hasItems(fake),
    reason:
      'the recorded cluster logged transient FailedScheduling warnings while its PVCs were being bound; the fake binds claims at once',
  },
];

/** Keys one server version adds and others do not: not part of the contract. */
const VERSION_SPECIFIC_KEYS: Record<string, string[]> = {
  // v1.24.0-alpha.1 still generated a token Secret per ServiceAccount; from 1.24 on servers no longer do.
  ServiceAccount: ['secrets'],
};

function knownGap(exchange: Exchange, fake: unknown): string | undefined {
  return KNOWN_GAPS.find(
    (g) =>
      g.scenario.test(exchange.scenario) &&
      g.path.test(exchange.path.split('?')[0]!) &&
      (g.method === undefined || g.method === exchange.method) &&
      (g.when === undefined || g.when(exchange.response.body, fake)),
  )?.reason;
}

const sortedKeys = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : null);

/** Paths of the empty lists and maps a request body sent (the server drops them). */
function emptiesSent(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (Array.isArray(value)) {
    if (value.length === 0) out.push(path);
  } else if (value && typeof value === 'object') {
    if (Object.keys(value).length === 0 && path.length > 0) out.push(path);
    for (const [k, v] of Object.entries(value)) emptiesSent(v, [...path, k], out);
  }
  return out;
}

const at = (value: unknown, path: string[]) =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);

/** The parts of an answer that must agree; the rest (uids, times, versions, server defaults deep in spec) may differ. */
function shape(body: unknown, requestBody: unknown): unknown {
  if (typeof body === 'string') return 'text';
  if (!body || typeof body !== 'object') return body ?? null;
  const object = body as Record<string, unknown>;
  if (object.kind === 'Status') {
    const details = object.details as { causes?: Record<string, unknown>[] } | undefined;
    return {
      keys: sortedKeys(object),
      status: object.status,
      reason: object.reason ?? null,
      code: object.code ?? null,
      details: sortedKeys(details),
      causes: details?.causes?.map((c) => ({ keys: sortedKeys(c), field: c.field })) ?? null,
    };
  }
  if (Array.isArray(object.items)) {
    const items = object.items as Record<string, unknown>[];
    return {
      keys: sortedKeys(object),
      metadata: sortedKeys(object.metadata),
      hasItems: items.length > 0,
      itemKeys: items[0] ? sortedKeys(items[0]) : null,
    };
  }
  const metadata = object.metadata as Record<string, unknown> | undefined;
  const ignored = VERSION_SPECIFIC_KEYS[String(object.kind)] ?? [];
  return {
    keys: sortedKeys(object)?.filter((k) => !ignored.includes(k)),
    metadata: object.kind === 'APIResourceList' ? null : sortedKeys(metadata),
    // An empty list or map that was sent: stored (present) or dropped (absent)?
    emptiesSent: emptiesSent(requestBody).map((p) => `${p.join('.')}: ${at(body, p) === undefined ? 'absent' : 'present'}`),
  };
}

const mediaType = (contentType: string | undefined | null) => (contentType ?? '').split(';')[0]!.trim() || null;

/** Replays one recording file against a fresh fake and returns the mismatches per scenario. */
class Replay {
  api!: FakeKubeApi;
  /** Recorded uid -> the fake's uid for the same object (Job pods are selected by controller-uid). */
  private readonly uids = new Map<string, string>();

  constructor(private readonly options: FakeKubeApiOptions) {}

  async start(): Promise<void> {
    this.api = await startFakeKubeApi(this.options);
    // What made the recorded cluster look like microk8s.
    this.api.put({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'public' },
      spec: { controller: 'k8s.io/ingress-nginx' },
    });
    this.api.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'microk8s-hostpath' },
      provisioner: 'microk8s.io/hostpath',
    } as never);
  }

  private rewrite(text: string): string {
    let out = text;
    for (const [recorded, fake] of this.uids) out = out.split(recorded).join(fake);
    return out;
  }

  async run(exchanges: Exchange[]): Promise<string[]> {
    const mismatches: string[] = [];
    for (const exchange of exchanges) {
      const headers: Record<string, string> = {
        'user-agent': exchange.scenario.startsWith('reference-kubectl') ? 'kubectl/v1.24.0' : 'qctl',
      };
      if (exchange.request.contentType) headers['content-type'] = exchange.request.contentType;
      if (exchange.request.accept) headers.accept = exchange.request.accept;
      const response = await fetch(`${this.api.url}${this.rewrite(exchange.path)}`, {
        method: exchange.method,
        headers,
        body:
          exchange.request.body === undefined || exchange.request.body === null || exchange.method === 'GET'
            ? undefined
            : this.rewrite(JSON.stringify(exchange.request.body)),
      });
      const text = await response.text();
      let body: unknown = text;
      if (mediaType(response.headers.get('content-type')) === 'application/json') body = JSON.parse(text);
      this.learnUids(exchange.response.body, body);
      if (knownGap(exchange, body)) continue;
      const where = `#${exchange.seq} ${exchange.method} ${exchange.path}`;
      if (response.status !== exchange.response.status) {
        mismatches.push(`${where}: status ${response.status}, recorded ${exchange.response.status}`);
        continue;
      }
      if (exchange.response.status === 304) continue;
      if (mediaType(response.headers.get('content-type')) !== mediaType(exchange.response.contentType)) {
        mismatches.push(`${where}: content type ${response.headers.get('content-type')}, recorded ${exchange.response.contentType}`);
        continue;
      }
      const moved = this.writeCheck(exchange, body);
      if (moved) mismatches.push(`${where}: ${moved}`);
      const got = JSON.stringify(shape(body, exchange.request.body));
      const want = JSON.stringify(shape(exchange.response.body, exchange.request.body));
      if (got !== want) mismatches.push(`${where}:\n    fake     ${got}\n    recorded ${want}`);
    }
    return mismatches;
  }

  /** Versions last read per path, recorded and fake: did an apply write (resourceVersion, generation)? */
  private readonly lastRead = new Map<string, { recorded: Versions; fake: Versions }>();

  private writeCheck(exchange: Exchange, body: unknown): string | undefined {
    const path = exchange.path.split('?')[0]!;
    if (exchange.method === 'GET' && exchange.response.status === 200) {
      this.lastRead.set(path, { recorded: versions(exchange.response.body), fake: versions(body) });
      return undefined;
    }
    const before = this.lastRead.get(path);
    this.lastRead.delete(path);
    if (exchange.method !== 'PATCH' || exchange.path.includes('dryRun') || exchange.response.status !== 200 || !before) return undefined;
    const recorded = changes(before.recorded, versions(exchange.response.body));
    const fake = changes(before.fake, versions(body));
    return recorded === fake ? undefined : `apply wrote ${fake}, the real server ${recorded}`;
  }

  private learnUids(recorded: unknown, fake: unknown): void {
    const uid = (body: unknown) =>
      body && typeof body === 'object' ? ((body as { metadata?: { uid?: string } }).metadata?.uid ?? undefined) : undefined;
    const r = uid(recorded);
    const f = uid(fake);
    if (r && f) this.uids.set(r, f);
  }
}

type Versions = { resourceVersion?: string; generation?: number };

function versions(body: unknown): Versions {
  const metadata = (body as { metadata?: Versions } | undefined)?.metadata ?? {};
  return { resourceVersion: metadata.resourceVersion, generation: metadata.generation };
}

function changes(before: Versions, after: Versions): string {
  return `resourceVersion ${before.resourceVersion === after.resourceVersion ? 'kept' : 'moved'}, generation ${before.generation === after.generation ? 'kept' : 'moved'}`;
}

function scenarios(exchanges: Exchange[]): [string, Exchange[]][] {
  const byScenario = new Map<string, Exchange[]>();
  for (const exchange of exchanges) byScenario.set(exchange.scenario, [...(byScenario.get(exchange.scenario) ?? []), exchange]);
  return [...byScenario];
}

describe.each([
  { file: 'with-node.jsonl.gz', options: { kubelet: true } },
  { file: 'no-nodes.jsonl.gz', options: { kubelet: true, nodes: 0, autoReady: false } },
])('fake kube API replays $file like the real server', ({ file, options }) => {
  const replay = new Replay(options);
  beforeAll(() => replay.start());
  afterAll(() => replay.api.stop());

  // Scenarios share one cluster and run in the recorded order (the no-op re-run follows the install).
  it.each(scenarios(load(file)))('%s', async (_scenario, exchanges) => {
    expect(await replay.run(exchanges)).toEqual([]);
  });
});
