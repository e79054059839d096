import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';

/**
 * A local HTTP server on 127.0.0.1 speaking the subset of the Kubernetes API that qctl uses:
 * discovery, GET/LIST (label and field selectors), server-side apply PATCH (records fieldManager,
 * force and dryRun), merge PATCH, POST, DELETE, status subresources, pod logs and events.
 *
 * It is a generic object store: tests put any object in, script what happens after an apply
 * (`react`), and read back every request (`requests`). Apply semantics are simplified to a
 * single manager: the applied configuration replaces the previous one, server-owned metadata and
 * status are kept, and resourceVersion only changes when the content changed (like a real
 * apiserver, where a no-op apply does not bump it).
 */

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
};

export type ResourceKind = { group: string; version: string; kind: string; plural: string; namespaced: boolean };

export type RecordedRequest = {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  body?: unknown;
};

export type Reaction = (object: KubeObject, api: FakeKubeApi) => void;

const BUILTIN_KINDS: ResourceKind[] = [
  ['', 'v1', 'Namespace', 'namespaces', false],
  ['', 'v1', 'ConfigMap', 'configmaps', true],
  ['', 'v1', 'Secret', 'secrets', true],
  ['', 'v1', 'Service', 'services', true],
  ['', 'v1', 'ServiceAccount', 'serviceaccounts', true],
  ['', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true],
  ['', 'v1', 'Pod', 'pods', true],
  ['', 'v1', 'Event', 'events', true],
  ['', 'v1', 'Endpoints', 'endpoints', true],
  ['apps', 'v1', 'Deployment', 'deployments', true],
  ['apps', 'v1', 'StatefulSet', 'statefulsets', true],
  ['apps', 'v1', 'DaemonSet', 'daemonsets', true],
  ['apps', 'v1', 'ReplicaSet', 'replicasets', true],
  ['batch', 'v1', 'Job', 'jobs', true],
  ['batch', 'v1', 'CronJob', 'cronjobs', true],
  ['networking.k8s.io', 'v1', 'Ingress', 'ingresses', true],
  ['networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false],
  ['networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true],
  ['policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true],
  ['rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true],
  ['rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false],
  ['rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false],
  ['apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
  ['storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false],
].map(([group, version, kind, plural, namespaced]) => ({
  group: group as string,
  version: version as string,
  kind: kind as string,
  plural: plural as string,
  namespaced: namespaced as boolean,
}));

/** Kinds served only when a test asks for them (clusters running kube-prometheus-stack, Gateway API). */
export const PROMETHEUS_OPERATOR_KINDS: ResourceKind[] = [
  { group: 'monitoring.coreos.com', version: 'v1', kind: 'ServiceMonitor', plural: 'servicemonitors', namespaced: true },
  { group: 'monitoring.coreos.com', version: 'v1', kind: 'PodMonitor', plural: 'podmonitors', namespaced: true },
  { group: 'monitoring.coreos.com', version: 'v1', kind: 'PrometheusRule', plural: 'prometheusrules', namespaced: true },
];

const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp'];

export type FakeKubeApiOptions = {
  /** Extra kinds to serve (e.g. PROMETHEUS_OPERATOR_KINDS). */
  kinds?: ResourceKind[];
  /** When true (default) Deployments, StatefulSets, DaemonSets and Jobs without a reaction become ready right after apply. */
  autoReady?: boolean;
  /** Server version reported on /version. */
  gitVersion?: string;
};

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  autoReady: boolean;
  private readonly kinds: ResourceKind[];
  private readonly objects = new Map<string, KubeObject>();
  private readonly logs = new Map<string, { current: string; previous?: string }>();
  private readonly reactions: { match: { kind: string; name?: string; namespace?: string }; react: Reaction }[] = [];
  private server?: Server;
  private revision = 1;
  private uidCounter = 0;
  url = '';

  constructor(private readonly options: FakeKubeApiOptions = {}) {
    this.kinds = [...BUILTIN_KINDS, ...(options.kinds ?? [])];
    this.autoReady = options.autoReady ?? true;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.send(res, 500, status(500, 'InternalError', String(error)));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('fake kube api: no address');
    this.url = `http://127.0.0.1:${address.port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /**
   * Writes a kubeconfig with one context per name (all pointing at this server) and returns its path.
   * The first name becomes current-context unless `current` says otherwise.
   */
  writeKubeconfig(contexts: string[] = ['microk8s'], options: { dir?: string; current?: string; server?: string } = {}): string {
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'qctl-kubeconfig-'));
    const server = options.server ?? this.url;
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      // client-node only speaks plain HTTP when told to skip TLS verification.
      clusters: contexts.map((name) => ({ name: `${name}-cluster`, cluster: { server, 'insecure-skip-tls-verify': true } })),
      users: contexts.map((name) => ({ name: `${name}-user`, user: { token: `token-${name}` } })),
      contexts: contexts.map((name) => ({ name, context: { cluster: `${name}-cluster`, user: `${name}-user` } })),
      'current-context': options.current ?? contexts[0] ?? '',
    };
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, toYaml(config));
    return path;
  }

  // ---- object store -------------------------------------------------------------------

  /** Stores an object as-is (adding server metadata), e.g. Pods, Events, IngressClasses or pre-existing state. */
  put(object: KubeObject): KubeObject {
    const stored = structuredClone(object);
    const previous = this.objects.get(this.keyOf(stored));
    stored.metadata.uid ??= (previous?.metadata.uid as string | undefined) ?? `uid-${++this.uidCounter}`;
    stored.metadata.creationTimestamp ??= (previous?.metadata.creationTimestamp as string | undefined) ?? new Date().toISOString();
    stored.metadata.generation ??= (previous?.metadata.generation as number | undefined) ?? 1;
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.set(this.keyOf(stored), stored);
    return stored;
  }

  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const resource = this.kindInfo(kind);
    return this.objects.get(objectKey(resource, resource?.namespaced ? namespace : undefined, name));
  }

  list(kind?: string, namespace?: string): KubeObject[] {
    return [...this.objects.values()].filter(
      (o) => (kind === undefined || o.kind === kind) && (namespace === undefined || o.metadata.namespace === namespace),
    );
  }

  remove(kind: string, namespace: string | undefined, name: string): void {
    const resource = this.kindInfo(kind);
    this.objects.delete(objectKey(resource, resource?.namespaced ? namespace : undefined, name));
  }

  /** Updates only the status of a stored object. */
  setStatus(kind: string, namespace: string | undefined, name: string, statusValue: Record<string, unknown>): void {
    const object = this.get(kind, namespace, name);
    if (!object) throw new Error(`fake kube api: no ${kind} ${namespace}/${name}`);
    object.status = structuredClone(statusValue);
    object.metadata.resourceVersion = String(++this.revision);
  }

  setLogs(namespace: string, pod: string, current: string, previous?: string): void {
    this.logs.set(`${namespace}/${pod}`, { current, previous });
  }

  /** Runs `react` after each non-dry-run apply of a matching object instead of the auto-ready behaviour. */
  react(match: { kind: string; name?: string; namespace?: string }, react: Reaction): void {
    this.reactions.push({ match, react });
  }

  /** Requests that change state (dry-run requests and reads excluded). */
  mutations(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.query.dryRun === undefined);
  }

  applies(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'PATCH' && r.contentType === 'application/apply-patch+yaml');
  }

  // ---- HTTP ----------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    const raw = await readBody(req);
    const contentType = req.headers['content-type']?.split(';')[0];
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query, contentType, body });

    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/version') return this.send(res, 200, { major: '1', minor: '31', gitVersion: this.options.gitVersion ?? 'v1.31.0-fake' });
    if (path === '/api') return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') return this.send(res, 200, this.apiGroups());

    const parsed = this.parsePath(path);
    if (!parsed) return this.send(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${path})`));
    if ('discovery' in parsed) return this.send(res, 200, this.resourceList(parsed.group, parsed.version));
    const { resource, namespace, name, subresource } = parsed;

    if (subresource === 'log') return this.sendLog(res, namespace!, name!, query);
    switch (method) {
      case 'GET':
        if (name === undefined) return this.send(res, 200, this.listResponse(resource, namespace, query));
        return this.sendObject(res, this.objects.get(objectKey(resource, namespace, name)), resource, name);
      case 'PATCH':
        return this.patch(res, resource, namespace, name!, subresource, contentType, body, query);
      case 'POST':
        return this.create(res, resource, namespace, body as KubeObject, query);
      case 'PUT': {
        if (subresource === 'status') return this.patch(res, resource, namespace, name!, subresource, 'application/merge-patch+json', body, query);
        return this.create(res, resource, namespace, body as KubeObject, query, true);
      }
      case 'DELETE':
        return this.delete(res, resource, namespace, name!, query);
      default:
        return this.send(res, 405, status(405, 'MethodNotAllowed', method));
    }
  }

  private patch(
    res: ServerResponse,
    resource: ResourceKind,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    contentType: string | undefined,
    body: unknown,
    query: Record<string, string>,
  ): void {
    const key = objectKey(resource, namespace, name);
    const existing = this.objects.get(key);
    const dryRun = query.dryRun !== undefined;
    if (subresource === 'status' || contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
      if (!existing) return this.send(res, 404, notFound(resource, name));
      const merged = mergePatch(structuredClone(existing), body) as KubeObject;
      if (dryRun) return this.send(res, 200, merged);
      if (JSON.stringify(merged) !== JSON.stringify(existing)) {
        if (subresource !== 'status' && JSON.stringify(merged.spec) !== JSON.stringify(existing.spec)) {
          merged.metadata.generation = ((existing.metadata.generation as number | undefined) ?? 1) + 1;
        }
        merged.metadata.resourceVersion = String(++this.revision);
        this.objects.set(key, merged);
      }
      return this.send(res, 200, merged);
    }
    if (contentType !== 'application/apply-patch+yaml') {
      return this.send(res, 415, status(415, 'UnsupportedMediaType', `unsupported patch type ${contentType ?? '(none)'}`));
    }
    if (!query.fieldManager) {
      return this.send(res, 422, status(422, 'Invalid', 'PATCH request for server-side apply requires fieldManager'));
    }
    const applied = body as KubeObject;
    if (applied?.kind !== resource.kind || applied.metadata?.name !== name) {
      return this.send(res, 400, status(400, 'BadRequest', `body ${applied?.kind}/${applied?.metadata?.name} does not match the URL`));
    }
    if (resource.namespaced && applied.metadata.namespace && applied.metadata.namespace !== namespace) {
      return this.send(res, 400, status(400, 'BadRequest', 'the namespace of the object does not match the namespace on the request'));
    }
    if (resource.namespaced && namespace && !this.objects.has(objectKey(this.kindInfo('Namespace'), undefined, namespace))) {
      return this.send(res, 404, status(404, 'NotFound', `namespaces "${namespace}" not found`));
    }
    const next = structuredClone(applied);
    if (resource.namespaced) next.metadata.namespace = namespace;
    for (const field of SERVER_METADATA) delete next.metadata[field];
    const unchanged = existing !== undefined && JSON.stringify(canonical(contentOf(existing))) === JSON.stringify(canonical(contentOf(next)));
    if (unchanged) return this.send(res, 200, existing);
    const generation = existing
      ? JSON.stringify(canonical(existing.spec ?? null)) === JSON.stringify(canonical(next.spec ?? null))
        ? (existing.metadata.generation as number)
        : ((existing.metadata.generation as number | undefined) ?? 1) + 1
      : 1;
    next.metadata.uid = (existing?.metadata.uid as string | undefined) ?? `uid-${++this.uidCounter}`;
    next.metadata.creationTimestamp = (existing?.metadata.creationTimestamp as string | undefined) ?? new Date().toISOString();
    next.metadata.generation = generation;
    next.metadata.resourceVersion = String(dryRun ? this.revision + 1 : ++this.revision);
    next.metadata.managedFields = [
      { manager: query.fieldManager, operation: 'Apply', apiVersion: applied.apiVersion, time: new Date().toISOString() },
    ];
    if (existing?.status !== undefined) next.status = structuredClone(existing.status);
    if (dryRun) return this.send(res, existing ? 200 : 201, next);
    this.objects.set(key, next);
    this.afterApply(next);
    return this.send(res, existing ? 200 : 201, this.objects.get(key));
  }

  private create(
    res: ServerResponse,
    resource: ResourceKind,
    namespace: string | undefined,
    body: KubeObject,
    query: Record<string, string>,
    replace = false,
  ): void {
    const key = objectKey(resource, namespace, body.metadata.name);
    if (!replace && this.objects.has(key)) {
      return this.send(res, 409, status(409, 'AlreadyExists', `${resource.plural} "${body.metadata.name}" already exists`));
    }
    const object = structuredClone(body);
    if (resource.namespaced) object.metadata.namespace = namespace;
    if (query.dryRun !== undefined) return this.send(res, 201, object);
    const stored = this.put(object);
    this.afterApply(stored);
    return this.send(res, 201, stored);
  }

  private delete(res: ServerResponse, resource: ResourceKind, namespace: string | undefined, name: string, query: Record<string, string>): void {
    const key = objectKey(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return this.send(res, 404, notFound(resource, name));
    if (query.dryRun !== undefined) return this.send(res, 200, status(200, 'Success', 'dry run'));
    this.objects.delete(key);
    // Deleting a namespace deletes everything in it, PVCs (and their data) included.
    if (resource.kind === 'Namespace') {
      for (const [k, o] of this.objects) if (o.metadata.namespace === name) this.objects.delete(k);
    }
    return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: resource.plural } });
  }

  private afterApply(object: KubeObject): void {
    const reactions = this.reactions.filter(
      (r) =>
        r.match.kind === object.kind &&
        (r.match.name === undefined || r.match.name === object.metadata.name) &&
        (r.match.namespace === undefined || r.match.namespace === object.metadata.namespace),
    );
    if (reactions.length > 0) {
      for (const r of reactions) r.react(object, this);
      return;
    }
    if (this.autoReady) object.status = readyStatus(object) ?? object.status;
    if (object.kind === 'CustomResourceDefinition') this.registerCrd(object);
  }

  private registerCrd(crd: KubeObject): void {
    const spec = crd.spec as { group: string; names: { kind: string; plural: string }; scope: string; versions: { name: string; served?: boolean }[] };
    for (const version of spec.versions ?? []) {
      if (this.kinds.some((k) => k.group === spec.group && k.version === version.name && k.kind === spec.names.kind)) continue;
      this.kinds.push({ group: spec.group, version: version.name, kind: spec.names.kind, plural: spec.names.plural, namespaced: spec.scope === 'Namespaced' });
    }
  }

  private sendLog(res: ServerResponse, namespace: string, name: string, query: Record<string, string>): void {
    const pod = this.objects.get(objectKey(this.kindInfo('Pod'), namespace, name));
    if (!pod) return this.send(res, 404, notFound(this.kindInfo('Pod')!, name));
    const entry = this.logs.get(`${namespace}/${name}`);
    let text = (query.previous === 'true' ? entry?.previous : entry?.current) ?? '';
    if (query.tailLines) {
      const lines = text.replace(/\n$/, '').split('\n');
      text = lines.slice(-Number(query.tailLines)).join('\n') + (text ? '\n' : '');
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(text);
  }

  private listResponse(resource: ResourceKind, namespace: string | undefined, query: Record<string, string>): unknown {
    const labelMatch = parseLabelSelector(query.labelSelector);
    const fieldMatch = parseFieldSelector(query.fieldSelector);
    const items = [...this.objects.values()].filter(
      (o) =>
        o.kind === resource.kind &&
        apiGroupOf(o.apiVersion) === resource.group &&
        (namespace === undefined || o.metadata.namespace === namespace) &&
        labelMatch(o.metadata.labels ?? {}) &&
        fieldMatch(o),
    );
    return {
      apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
      kind: `${resource.kind}List`,
      metadata: { resourceVersion: String(this.revision) },
      items,
    };
  }

  private apiGroups(): unknown {
    const groups = new Map<string, Set<string>>();
    for (const k of this.kinds) if (k.group) groups.set(k.group, (groups.get(k.group) ?? new Set()).add(k.version));
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${[...versions][0]}`, version: [...versions][0] },
      })),
    };
  }

  private resourceList(group: string, version: string): unknown {
    const resources = this.kinds
      .filter((k) => k.group === group && k.version === version)
      .flatMap((k) => {
        const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
        const base = { name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs };
        const extra = [];
        if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'HorizontalPodAutoscaler'].includes(k.kind)) {
          extra.push({ ...base, name: `${k.plural}/status`, verbs: ['get', 'patch', 'update'] });
        }
        if (k.kind === 'Pod') extra.push({ ...base, name: 'pods/log', kind: 'Pod', verbs: ['get'] });
        return [base, ...extra];
      });
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }

  private parsePath(
    path: string,
  ):
    | { discovery: true; group: string; version: string }
    | { resource: ResourceKind; namespace?: string; name?: string; subresource?: string }
    | undefined {
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      group = '';
      version = segments[1]!;
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 3) {
      group = segments[1]!;
      version = segments[2]!;
      rest = segments.slice(3);
    } else {
      return undefined;
    }
    if (rest.length === 0) {
      return this.kinds.some((k) => k.group === group && k.version === version) ? { discovery: true, group, version } : undefined;
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = this.kinds.find((k) => k.group === group && k.version === version && k.plural === rest[0]);
    if (!resource) return undefined;
    return { resource, namespace: resource.namespaced ? namespace : undefined, name: rest[1], subresource: rest[2] };
  }

  private kindInfo(kind: string): ResourceKind {
    const info = this.kinds.find((k) => k.kind === kind);
    if (!info) throw new Error(`fake kube api: unknown kind ${kind}`);
    return info;
  }

  private keyOf(object: KubeObject): string {
    const resource = this.kindInfo(object.kind);
    return objectKey(resource, resource.namespaced ? object.metadata.namespace : undefined, object.metadata.name);
  }

  private sendObject(res: ServerResponse, object: KubeObject | undefined, resource: ResourceKind, name: string): void {
    if (!object) return this.send(res, 404, notFound(resource, name));
    this.send(res, 200, object);
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** Starts a fake API server; stop it with `await api.stop()`. */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  return new FakeKubeApi(options).start();
}

/** The status a healthy controller would report for a workload once it has caught up. */
export function readyStatus(object: KubeObject): Record<string, unknown> | undefined {
  const spec = (object.spec ?? {}) as { replicas?: number };
  const replicas = spec.replicas ?? 1;
  const generation = object.metadata.generation as number;
  switch (object.kind) {
    case 'Deployment':
      return {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
      };
    case 'StatefulSet':
      return { observedGeneration: generation, replicas, readyReplicas: replicas, updatedReplicas: replicas, currentReplicas: replicas, availableReplicas: replicas };
    case 'DaemonSet':
      return { observedGeneration: generation, desiredNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 };
    case 'Job':
      return { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    case 'PersistentVolumeClaim':
      return { phase: 'Bound' };
    default:
      return undefined;
  }
}

/** A Pod owned by `workload` (labels copied from its pod template) with the given container status. */
export function podFor(
  workload: KubeObject,
  name: string,
  options: { waiting?: { reason: string; message?: string }; restartCount?: number; phase?: string; conditions?: unknown[]; terminated?: { exitCode: number; reason?: string } } = {},
): KubeObject {
  const template = (workload.spec as { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { name: string; image: string }[] } } })
    .template;
  const labels = { ...(template?.metadata?.labels ?? {}) };
  if (workload.kind === 'Job') labels['job-name'] = workload.metadata.name;
  const containers = template?.spec?.containers ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: workload.metadata.namespace, labels },
    spec: { containers },
    status: {
      phase: options.phase ?? 'Running',
      conditions: options.conditions ?? [],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        ready: false,
        restartCount: options.restartCount ?? 0,
        state: options.waiting ? { waiting: options.waiting } : options.terminated ? { terminated: options.terminated } : { running: {} },
      })),
    },
  };
}

/** A Warning event about `object`. */
export function warningEvent(object: KubeObject, reason: string, message: string, name = `${object.metadata.name}.${reason.toLowerCase()}`): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: object.metadata.namespace },
    involvedObject: { kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace },
    type: 'Warning',
    reason,
    message,
    lastTimestamp: new Date().toISOString(),
    count: 1,
  };
}

// ---- helpers ------------------------------------------------------------------------------

function objectKey(resource: ResourceKind | undefined, namespace: string | undefined, name: string): string {
  return `${resource?.group ?? '?'}/${resource?.kind ?? '?'}/${namespace ?? ''}/${name}`;
}

function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

function contentOf(object: KubeObject): unknown {
  const { status: _status, metadata, ...rest } = object;
  const meta = { ...metadata };
  for (const field of SERVER_METADATA) delete meta[field];
  return { ...rest, metadata: meta };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined && v !== null)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result = (target && typeof target === 'object' && !Array.isArray(target) ? target : {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function parseLabelSelector(selector: string | undefined): (labels: Record<string, string>) => boolean {
  if (!selector) return () => true;
  const requirements = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  const checks = requirements.map((raw) => {
    const req = raw.trim();
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(req);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim());
      const key = m[1]!;
      return m[2] === 'in'
        ? (l: Record<string, string>) => l[key] !== undefined && values.includes(l[key]!)
        : (l: Record<string, string>) => l[key] === undefined || !values.includes(l[key]!);
    }
    m = /^([^!=\s]+)\s*(!=|==|=)\s*(\S*)$/.exec(req);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l: Record<string, string>) => l[key] !== value : (l: Record<string, string>) => l[key] === value;
    }
    if (req.startsWith('!')) return (l: Record<string, string>) => l[req.slice(1)] === undefined;
    return (l: Record<string, string>) => l[req] !== undefined;
  });
  return (labels) => checks.every((check) => check(labels));
}

function parseFieldSelector(selector: string | undefined): (object: KubeObject) => boolean {
  if (!selector) return () => true;
  const checks = selector.split(',').map((req) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(req.trim());
    if (!m) return () => true;
    const [, path, op, value] = m as unknown as [string, string, string, string];
    return (object: KubeObject) => {
      const actual = path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), object);
      return op === '!=' ? String(actual ?? '') !== value : String(actual ?? '') === value;
    };
  });
  return (object) => checks.every((check) => check(object));
}

function status(code: number, reason: string, message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function notFound(resource: ResourceKind, name: string): unknown {
  return status(404, 'NotFound', `${resource.plural}${resource.group ? `.${resource.group}` : ''} "${name}" not found`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
