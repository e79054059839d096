import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';

/**
 * A local HTTP server on 127.0.0.1 speaking the subset of the Kubernetes API that qctl uses:
 * discovery, GET/LIST (label and field selectors), server-side apply PATCH (fieldManager, force,
 * dryRun), merge PATCH (also on /scale), POST, DELETE, status subresources, pod logs and events.
 *
 * It is a generic object store: tests put any object in, script what happens after an apply
 * (`react`), and read back every request (`requests`). Its answers follow what a real
 * kube-apiserver sent to qctl (tests/fixtures/k8s-recordings/, checked by
 * tests/deploy/fake-kube-contract.test.ts):
 *   - list items carry no kind/apiVersion, only the list does;
 *   - server-side apply answers 201 for a new object and 200 for an existing one; the applied
 *     fields are merged into the live object per field manager (fields owned by another manager
 *     stay; a field another manager owns with a different value is a 409 Conflict unless force);
 *   - empty lists and empty string maps are not stored, yet an apply that sends them again is a
 *     write: resourceVersion moves, and generation too when the spec "changed" that way;
 *   - a StatefulSet with volumeClaimTemplates is written on every apply (resourceVersion moves,
 *     generation stays), as the real server does;
 *   - generation exists only for kinds outside the core and RBAC groups;
 *   - errors are `Status` objects (reason, details.causes, code); an unserved API group answers
 *     404 text/plain like the real mux; a Service without ports is 422 Invalid;
 *   - dry-run answers are not persisted; deleting answers the object for core kinds, a Status for
 *     the others, 404 when already gone;
 *   - pod logs are text/plain.
 * With `kubelet: true` it also plays the recordings' stand-in kubelet: workloads get pods
 * (Running/Ready, Job pods Succeeded) carrying the template labels; with `nodes: 0` pods stay
 * Pending with a FailedScheduling Warning event, like a cluster without a node.
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
  ['', 'v1', 'Node', 'nodes', false],
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

/** Kinds of the CloudNativePG operator, served only when a test asks for them. */
export const CNPG_KINDS: ResourceKind[] = [
  { group: 'postgresql.cnpg.io', version: 'v1', kind: 'Cluster', plural: 'clusters', namespaced: true },
  { group: 'postgresql.cnpg.io', version: 'v1', kind: 'Pooler', plural: 'poolers', namespaced: true },
];

/** The Gateway API's standard channel, as its CRDs (infra/crds) serve it: v1 only here. */
export const GATEWAY_API_KINDS: ResourceKind[] = [
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'GatewayClass', plural: 'gatewayclasses', namespaced: false },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway', plural: 'gateways', namespaced: true },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute', plural: 'httproutes', namespaced: true },
];

/** Istio's traffic kinds (served at v1 since Istio 1.22). */
export const ISTIO_KINDS: ResourceKind[] = [
  { group: 'networking.istio.io', version: 'v1', kind: 'VirtualService', plural: 'virtualservices', namespaced: true },
  { group: 'networking.istio.io', version: 'v1', kind: 'DestinationRule', plural: 'destinationrules', namespaced: true },
];

const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp'];

export type FakeKubeApiOptions = {
  /** Extra kinds to serve (e.g. PROMETHEUS_OPERATOR_KINDS). */
  kinds?: ResourceKind[];
  /** When true (default) Deployments, StatefulSets, DaemonSets and Jobs without a reaction become ready right after apply. */
  autoReady?: boolean;
  /** Server version reported on /version. */
  gitVersion?: string;
  /** Play the stand-in kubelet: create pods for applied workloads (see the class comment). */
  kubelet?: boolean;
  /** With `kubelet`: 0 means no schedulable node, so pods stay Pending. Default 1. */
  nodes?: number;
  /**
   * Fields behind feature gates this server does not have: dropped from what is stored, yet still
   * owned by the applier in managedFields, as a real server's dropDisabledFields does (e.g. kind
   * StatefulSet, path spec.persistentVolumeClaimRetentionPolicy before 1.27 without the gate).
   */
  droppedFields?: { kind: string; path: string[] }[];
};

type ManagerEntry = {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  paths: Map<string, string[]>;
};

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  autoReady: boolean;
  private readonly kinds: ResourceKind[];
  private readonly objects = new Map<string, KubeObject>();
  private readonly logs = new Map<string, { current: string; previous?: string }>();
  private readonly reactions: { match: { kind: string; name?: string; namespace?: string }; react: Reaction }[] = [];
  private readonly owners = new Map<string, ManagerEntry[]>();
  /** Folders writeKubeconfig made itself, removed by stop(). */
  private readonly kubeconfigDirs: string[] = [];
  private readonly forbidden = new Set<string>();
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
    for (const dir of this.kubeconfigDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
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
    let dir = options.dir;
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), 'qctl-kubeconfig-'));
      this.kubeconfigDirs.push(dir);
    }
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
    stored.metadata.creationTimestamp ??=
      (previous?.metadata.creationTimestamp as string | undefined) ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    stored.metadata.uid ??= (previous?.metadata.uid as string | undefined) ?? `uid-${++this.uidCounter}`;
    stored.metadata.creationTimestamp ??= (previous?.metadata.creationTimestamp as string | undefined) ?? new Date().toISOString();
    if (hasGeneration(this.kindInfo(stored.kind)))
      stored.metadata.generation ??= (previous?.metadata.generation as number | undefined) ?? 1;
    // Whatever wrote it (a controller, the kubelet, a test) is recorded as an Update manager, as on a real server.
    stored.metadata.managedFields ??= (previous?.metadata.managedFields as unknown[] | undefined) ?? [
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        apiVersion: stored.apiVersion,
        time: stored.metadata.creationTimestamp,
        fieldsType: 'FieldsV1',
        fieldsV1: {},
      },
    ];
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

  /** Answers 403 Forbidden, as RBAC would, to `verb` (get, list, patch, delete, ...) on `kind`. */
  forbid(verb: string, kind: string): void {
    this.forbidden.add(`${verb}/${kind}`);
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
    // Without ?fieldManager the server names the manager after the client's user agent (kubectl/v1.31 -> kubectl).
    const manager = query.fieldManager ?? (req.headers['user-agent'] ?? 'unknown').split('/')[0]!;

    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/version') return this.send(res, 200, this.version());
    if (path === '/api')
      return this.send(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
      });
    if (path === '/apis') return this.send(res, 200, this.apiGroups());

    const parsed = this.parsePath(path);
    // The real server's mux answers unknown paths (an API group nobody serves) in plain text.
    if (!parsed) return this.sendText(res, 404, '404 page not found\n');
    if ('discovery' in parsed) return this.send(res, 200, this.resourceList(parsed.group, parsed.version));
    if ('unknownResource' in parsed)
      return this.send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const { resource, namespace, name, subresource } = parsed;

    const verb = method === 'GET' ? (name === undefined ? 'list' : 'get') : method.toLowerCase();
    if (this.forbidden.has(`${verb}/${resource.kind}`)) {
      const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
      const what = `${resource.plural}${resource.group ? `.${resource.group}` : ''}${name ? ` "${name}"` : ''}`;
      return this.send(
        res,
        403,
        status(
          403,
          'Forbidden',
          `${what} is forbidden: User "qctl-test" cannot ${verb} resource "${resource.plural}" in API group "${resource.group}" ${scope}`,
          detailsOf(resource, name ?? ''),
        ),
      );
    }
    if (subresource === 'log') return this.sendLog(res, namespace!, name!, query);
    switch (method) {
      case 'GET':
        if (name === undefined) return this.send(res, 200, this.listResponse(resource, namespace, query));
        return this.sendObject(res, this.objects.get(objectKey(resource, namespace, name)), resource, name);
      case 'PATCH':
        if (subresource === 'scale') return this.scale(res, resource, namespace, name!, body, manager);
        return this.patch(res, resource, namespace, name!, subresource, contentType, body, query, manager);
      case 'POST':
        return this.create(res, resource, namespace, body as KubeObject, query, manager);
      case 'PUT': {
        if (subresource === 'status')
          return this.patch(res, resource, namespace, name!, subresource, 'application/merge-patch+json', body, query, manager);
        return this.create(res, resource, namespace, body as KubeObject, query, manager, true);
      }
      case 'DELETE':
        return this.delete(res, resource, namespace, name!, query);
      default:
        return this.send(res, 405, status(405, 'MethodNotAllowed', method));
    }
  }

  private version(): Record<string, string> {
    const gitVersion = this.options.gitVersion ?? 'v1.31.0-fake';
    const [major = '1', minor = '31'] = gitVersion.replace(/^v/, '').split('.');
    return {
      major,
      minor,
      gitVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.22.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
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
    manager: string,
  ): void {
    const key = objectKey(resource, namespace, name);
    const existing = this.objects.get(key);
    const dryRun = query.dryRun !== undefined;
    if (
      subresource === 'status' ||
      contentType === 'application/merge-patch+json' ||
      contentType === 'application/strategic-merge-patch+json'
    ) {
      if (!existing) return this.send(res, 404, notFound(resource, name));
      const merged = mergePatch(structuredClone(existing), body) as KubeObject;
      if (dryRun) return this.send(res, 200, merged);
      if (JSON.stringify(merged) !== JSON.stringify(existing)) {
        if (subresource !== 'status' && hasGeneration(resource) && JSON.stringify(merged.spec) !== JSON.stringify(existing.spec)) {
          merged.metadata.generation = ((existing.metadata.generation as number | undefined) ?? 1) + 1;
        }
        if (subresource !== 'status') this.recordUpdate(key, manager, merged.apiVersion, body, subresource);
        merged.metadata.resourceVersion = String(++this.revision);
        this.store(key, merged);
      }
      return this.send(res, 200, this.objects.get(key) ?? merged);
    }
    if (contentType !== 'application/apply-patch+yaml') {
      return this.send(
        res,
        415,
        status(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
        ),
      );
    }
    if (!query.fieldManager) {
      return this.send(res, 422, status(422, 'Invalid', 'PATCH request for server-side apply requires fieldManager'));
    }
    const applied = body as KubeObject;
    if (applied?.kind !== resource.kind || applied.metadata?.name !== name) {
      return this.send(res, 400, status(400, 'BadRequest', `body ${applied?.kind}/${applied?.metadata?.name} does not match the URL`));
    }
    if (resource.namespaced && applied.metadata.namespace && applied.metadata.namespace !== namespace) {
      return this.send(
        res,
        400,
        status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'),
      );
    }
    if (resource.namespaced && namespace && !this.objects.has(objectKey(this.kindInfo('Namespace'), undefined, namespace))) {
      return this.send(res, 404, status(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' }));
    }
    const invalid = validate(applied);
    if (invalid) return this.send(res, 422, invalid);

    const owners = this.owners.get(key) ?? [];
    const appliedPaths = leafPaths(strip(applied));
    const conflicts = existing ? findConflicts(owners, manager, appliedPaths, existing, applied) : [];
    if (conflicts.length > 0 && query.force !== 'true') return this.send(res, 409, conflictStatus(conflicts, applied.apiVersion));

    // The live object without the fields this manager applied last time and no longer applies.
    const base = existing
      ? (structuredClone(existing) as KubeObject)
      : ({ apiVersion: applied.apiVersion, kind: applied.kind, metadata: { name } } as KubeObject);
    const mine = owners.find((o) => o.manager === manager && o.operation === 'Apply');
    for (const [pathKey, segments] of mine?.paths ?? []) {
      if (appliedPaths.has(pathKey) || owners.some((o) => o !== mine && o.paths.has(pathKey))) continue;
      removePath(base, segments);
    }
    const next = deepMerge(base, strip(applied)) as KubeObject;
    next.apiVersion = applied.apiVersion;
    for (const dropped of this.options.droppedFields ?? []) if (dropped.kind === resource.kind) removePath(next, dropped.path);
    if (resource.namespaced) next.metadata.namespace = namespace;
    // Compared before empty lists/maps are dropped: sending `ingress: []` again is a change to
    // the real server too (it then stores nothing), so the write happens every time.
    const sameContent =
      existing !== undefined && JSON.stringify(canonical(contentOf(existing))) === JSON.stringify(canonical(contentOf(next)));
    const alwaysWrites =
      resource.kind === 'StatefulSet' &&
      ((applied.spec as { volumeClaimTemplates?: unknown[] } | undefined)?.volumeClaimTemplates?.length ?? 0) > 0;
    if (existing && sameContent && !alwaysWrites && !dryRun) {
      this.recordApply(key, manager, applied.apiVersion, appliedPaths, conflicts, false);
      return this.send(res, 200, existing);
    }
    const specChanged = JSON.stringify(canonical(existing?.spec ?? null)) !== JSON.stringify(canonical(next.spec ?? null));
    if (!existing) this.initialize(next, resource);
    else if (hasGeneration(resource) && specChanged)
      next.metadata.generation = ((existing.metadata.generation as number | undefined) ?? 1) + 1;
    const stored = dropEmpty(next) as KubeObject;
    if (dryRun) {
      if (existing) stored.metadata.resourceVersion = existing.metadata.resourceVersion;
      stored.metadata.managedFields = managedFields([
        ...owners.filter((o) => o.manager !== manager),
        entry(manager, 'Apply', applied.apiVersion, appliedPaths),
      ]);
      return this.send(res, existing ? 200 : 201, stored);
    }
    stored.metadata.resourceVersion = String(++this.revision);
    this.store(key, stored);
    this.recordApply(key, manager, applied.apiVersion, appliedPaths, conflicts, true);
    // The answer is the object as written; controllers (afterApply) act on it afterwards.
    const answer = structuredClone(this.objects.get(key));
    this.afterApply(stored, !existing);
    return this.send(res, existing ? 200 : 201, answer);
  }

  /** kubectl scale: a merge patch of spec.replicas through the scale subresource, answered with a Scale. */
  private scale(
    res: ServerResponse,
    resource: ResourceKind,
    namespace: string | undefined,
    name: string,
    body: unknown,
    manager: string,
  ): void {
    const key = objectKey(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return this.send(res, 404, notFound(resource, name));
    const replicas = (body as { spec?: { replicas?: number } } | undefined)?.spec?.replicas;
    if (typeof replicas === 'number') {
      (existing.spec as Record<string, unknown>).replicas = replicas;
      existing.metadata.generation = ((existing.metadata.generation as number | undefined) ?? 1) + 1;
      existing.metadata.resourceVersion = String(++this.revision);
      this.recordUpdate(key, manager, existing.apiVersion, { spec: { replicas } }, 'scale');
      this.store(key, existing);
    }
    const selector = podSelectorOf(existing);
    return this.send(res, 200, {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name,
        namespace,
        uid: existing.metadata.uid,
        resourceVersion: existing.metadata.resourceVersion,
        creationTimestamp: existing.metadata.creationTimestamp,
      },
      spec: { replicas: (existing.spec as { replicas?: number }).replicas ?? 1 },
      status: { replicas: ((existing.status ?? {}) as { replicas?: number }).replicas ?? 0, selector },
    });
  }

  private create(
    res: ServerResponse,
    resource: ResourceKind,
    namespace: string | undefined,
    body: KubeObject,
    query: Record<string, string>,
    manager: string,
    replace = false,
  ): void {
    const key = objectKey(resource, namespace, body.metadata.name);
    const existing = this.objects.get(key);
    if (!replace && existing) {
      return this.send(
        res,
        409,
        status(
          409,
          'AlreadyExists',
          `${resource.plural}${resource.group ? `.${resource.group}` : ''} "${body.metadata.name}" already exists`,
          detailsOf(resource, body.metadata.name),
        ),
      );
    }
    const invalid = validate(body);
    if (invalid) return this.send(res, 422, invalid);
    const object = dropEmpty(structuredClone(body)) as KubeObject;
    if (resource.namespaced) object.metadata.namespace = namespace;
    if (!existing) this.initialize(object, resource);
    if (query.dryRun !== undefined) return this.send(res, existing ? 200 : 201, object);
    const stored = this.put(object);
    this.recordUpdate(key, manager, body.apiVersion, strip(body), undefined);
    this.afterApply(stored, !existing);
    return this.send(res, existing ? 200 : 201, this.objects.get(key));
  }

  private delete(
    res: ServerResponse,
    resource: ResourceKind,
    namespace: string | undefined,
    name: string,
    query: Record<string, string>,
  ): void {
    const key = objectKey(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) return this.send(res, 404, notFound(resource, name));
    const gone = structuredClone(existing);
    if (resource.kind === 'Namespace') {
      gone.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      gone.status = { phase: 'Terminating' };
    }
    if (resource.kind === 'PersistentVolumeClaim') {
      gone.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      gone.metadata.deletionGracePeriodSeconds = 0;
    }
    const answer = RETURNS_DELETED_OBJECT.has(resource.kind) ? gone : deletedStatus(resource, existing);
    if (query.dryRun !== undefined) return this.send(res, 200, answer);
    this.objects.delete(key);
    this.owners.delete(key);
    // Deleting a namespace deletes everything in it, PVCs (and their data) included.
    if (resource.kind === 'Namespace') {
      for (const [k, o] of this.objects) {
        if (o.metadata.namespace === name) {
          this.objects.delete(k);
          this.owners.delete(k);
        }
      }
    }
    return this.send(res, 200, answer);
  }

  /** What the API server and its controllers add to a new object. */
  private initialize(object: KubeObject, resource: ResourceKind): void {
    object.metadata.uid = `uid-${++this.uidCounter}`;
    object.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (hasGeneration(resource)) object.metadata.generation = 1;
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    switch (resource.kind) {
      case 'Namespace':
        object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name };
        object.spec = { ...spec, finalizers: ['kubernetes'] };
        object.status = { phase: 'Active' };
        break;
      case 'Service':
      case 'Ingress':
        object.status = { loadBalancer: {} };
        break;
      case 'PersistentVolumeClaim':
        object.metadata.finalizers = ['kubernetes.io/pvc-protection'];
        object.status = { phase: 'Pending' };
        break;
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
        object.status = {};
        break;
      case 'Job': {
        // The Job controller selects its pods by the Job's uid.
        const uid = object.metadata.uid as string;
        object.metadata.annotations = { ...(object.metadata.annotations ?? {}), 'batch.kubernetes.io/job-tracking': '' };
        const template = (spec.template ?? {}) as { metadata?: { labels?: Record<string, string> } };
        template.metadata = {
          ...(template.metadata ?? {}),
          labels: { ...(template.metadata?.labels ?? {}), 'controller-uid': uid, 'job-name': object.metadata.name },
        };
        object.spec = { ...spec, template, selector: { matchLabels: { 'controller-uid': uid } } };
        object.status = {};
        break;
      }
      default:
        break;
    }
  }

  private store(key: string, object: KubeObject): void {
    object.metadata.managedFields = managedFields(this.owners.get(key) ?? []);
    this.objects.set(key, object);
  }

  private recordApply(
    key: string,
    manager: string,
    apiVersion: string,
    paths: Map<string, string[]>,
    taken: Conflict[],
    stamp: boolean,
  ): void {
    const owners = (this.owners.get(key) ?? []).filter((o) => !(o.manager === manager && o.operation === 'Apply'));
    for (const conflict of taken) for (const o of owners) if (o.manager === conflict.manager) o.paths.delete(conflict.pathKey);
    const previous = this.owners.get(key)?.find((o) => o.manager === manager && o.operation === 'Apply');
    const mine = entry(manager, 'Apply', apiVersion, paths);
    if (!stamp && previous) mine.time = previous.time;
    this.owners.set(key, [...owners.filter((o) => o.paths.size > 0), mine]);
    const object = this.objects.get(key);
    if (object) object.metadata.managedFields = managedFields(this.owners.get(key)!);
  }

  private recordUpdate(key: string, manager: string, apiVersion: string, patch: unknown, subresource: string | undefined): void {
    const paths = leafPaths(patch);
    const owners = this.owners.get(key) ?? [];
    // Whoever changes a field through an update takes it over from the others.
    for (const o of owners) if (o.manager !== manager) for (const p of paths.keys()) o.paths.delete(p);
    let mine = owners.find((o) => o.manager === manager && o.operation === 'Update' && o.subresource === subresource);
    if (!mine) {
      mine = entry(manager, 'Update', apiVersion, new Map());
      if (subresource) mine.subresource = subresource;
      owners.push(mine);
    }
    for (const [k, v] of paths) mine.paths.set(k, v);
    mine.time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.owners.set(
      key,
      owners.filter((o) => o.paths.size > 0),
    );
  }

  private afterApply(object: KubeObject, created: boolean): void {
    if (object.kind === 'CustomResourceDefinition') this.registerCrd(object);
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
    const scheduled = (this.options.nodes ?? 1) > 0;
    if (this.options.kubelet && WORKLOAD_KINDS.has(object.kind)) this.runPods(object, scheduled);
    if (this.autoReady && (scheduled || !WORKLOAD_KINDS.has(object.kind))) {
      object.status = readyStatus(object) ?? object.status;
      if (object.kind === 'Deployment') {
        object.metadata.annotations = {
          ...(object.metadata.annotations ?? {}),
          'deployment.kubernetes.io/revision': String(object.metadata.generation ?? 1),
        };
      }
    }
    if (object.kind === 'PersistentVolumeClaim') {
      if (this.autoReady) bindClaim(object);
      else if (created) object.status = { phase: 'Pending' };
    }
  }

  /** The stand-in kubelet: one pod per replica, Running and Ready (Job pods Succeeded), or Pending without a node. */
  private runPods(workload: KubeObject, scheduled: boolean): void {
    const namespace = workload.metadata.namespace!;
    const replicas = workload.kind === 'Job' ? 1 : (((workload.spec ?? {}) as { replicas?: number }).replicas ?? 1);
    for (const pod of this.list('Pod', namespace)) {
      if ((pod.metadata.ownerReferences as { uid: string }[] | undefined)?.some((o) => o.uid === workload.metadata.uid))
        this.remove('Pod', namespace, pod.metadata.name);
    }
    const claims =
      workload.kind === 'StatefulSet' ? ((workload.spec as { volumeClaimTemplates?: KubeObject[] }).volumeClaimTemplates ?? []) : [];
    for (let i = 0; i < replicas; i++) {
      const name =
        workload.kind === 'StatefulSet'
          ? `${workload.metadata.name}-${i}`
          : `${workload.metadata.name}-${String(workload.metadata.generation ?? 1)}x${i}`;
      for (const template of claims) {
        const claimName = `${template.metadata.name}-${name}`;
        if (this.get('PersistentVolumeClaim', namespace, claimName)) continue;
        const claim = this.put({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: claimName,
            namespace,
            labels: { ...(template.metadata.labels ?? {}) },
            finalizers: ['kubernetes.io/pvc-protection'],
          },
          spec: structuredClone(template.spec),
          status: { phase: 'Pending' },
        });
        if (scheduled) bindClaim(claim);
      }
      if (!this.get('Event', namespace, `${workload.metadata.name}.create-${name}`)) {
        this.put(
          controllerEvent(
            workload,
            'Normal',
            'SuccessfulCreate',
            `create Pod ${name} in ${workload.kind} ${workload.metadata.name} successful`,
            `${workload.metadata.name}.create-${name}`,
          ),
        );
      }
      const phase = !scheduled ? 'Pending' : workload.kind === 'Job' ? 'Succeeded' : 'Running';
      const conditions = scheduled
        ? [
            { type: 'PodScheduled', status: 'True' },
            { type: 'Ready', status: workload.kind === 'Job' ? 'False' : 'True' },
          ]
        : [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no nodes available to schedule pods' }];
      const pod = podFor(workload, name, {
        phase,
        conditions,
        ...(workload.kind === 'Job' && scheduled ? { terminated: { exitCode: 0, reason: 'Completed' } } : {}),
      });
      pod.metadata.ownerReferences = [
        {
          apiVersion: workload.apiVersion,
          kind: workload.kind,
          name: workload.metadata.name,
          uid: workload.metadata.uid,
          controller: true,
        },
      ];
      if (!scheduled) pod.status = { phase: 'Pending', conditions };
      const stored = this.put(pod);
      this.put(
        scheduled
          ? schedulerEvent(stored, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to node-1`, `${name}.scheduled`)
          : schedulerEvent(stored, 'Warning', 'FailedScheduling', 'no nodes available to schedule pods', `${name}.failedscheduling`),
      );
    }
  }

  private registerCrd(crd: KubeObject): void {
    const spec = crd.spec as {
      group: string;
      names: { kind: string; plural: string };
      scope: string;
      versions: { name: string; served?: boolean }[];
    };
    for (const version of spec.versions ?? []) {
      if (this.kinds.some((k) => k.group === spec.group && k.version === version.name && k.kind === spec.names.kind)) continue;
      this.kinds.push({
        group: spec.group,
        version: version.name,
        kind: spec.names.kind,
        plural: spec.names.plural,
        namespaced: spec.scope === 'Namespaced',
      });
    }
  }

  private sendLog(res: ServerResponse, namespace: string, name: string, query: Record<string, string>): void {
    const pod = this.objects.get(objectKey(this.kindInfo('Pod'), namespace, name));
    if (!pod) return this.send(res, 404, notFound(this.kindInfo('Pod')!, name));
    const entry = this.logs.get(`${namespace}/${name}`);
    if (query.previous === 'true' && entry?.previous === undefined) {
      const container = query.container ?? ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? [])[0]?.name ?? '';
      return this.send(res, 400, status(400, 'BadRequest', `previous terminated container "${container}" in pod "${name}" not found`));
    }
    let text = (query.previous === 'true' ? entry?.previous : entry?.current) ?? '';
    if (query.tailLines) {
      const lines = text.replace(/\n$/, '').split('\n');
      text = lines.slice(-Number(query.tailLines)).join('\n') + (text ? '\n' : '');
    }
    this.sendText(res, 200, text);
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
      kind: `${resource.kind}List`,
      apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version,
      metadata: { resourceVersion: String(this.revision) },
      // A real server sends kind and apiVersion on the list only, never on its items.
      items: items.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest),
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
        const base = { name: k.plural, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs };
        const extra = [];
        if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'HorizontalPodAutoscaler'].includes(k.kind)) {
          extra.push({ ...base, name: `${k.plural}/status`, verbs: ['get', 'patch', 'update'] });
        }
        if (['Deployment', 'StatefulSet', 'ReplicaSet'].includes(k.kind)) {
          extra.push({ ...base, name: `${k.plural}/scale`, kind: 'Scale', verbs: ['get', 'patch', 'update'] });
        }
        if (k.kind === 'Pod') extra.push({ ...base, name: 'pods/log', kind: 'Pod', verbs: ['get'] });
        return [base, ...extra];
      });
    // The core group's list carries no apiVersion, the named groups' lists do (as a real server sends them).
    return {
      kind: 'APIResourceList',
      ...(group ? { apiVersion: 'v1' } : {}),
      groupVersion: group ? `${group}/${version}` : version,
      resources,
    };
  }

  private parsePath(
    path: string,
  ):
    | { discovery: true; group: string; version: string }
    | { unknownResource: true }
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
    if (!this.kinds.some((k) => k.group === group && k.version === version)) return undefined;
    if (rest.length === 0) return { discovery: true, group, version };
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = this.kinds.find((k) => k.group === group && k.version === version && k.plural === rest[0]);
    if (!resource) return { unknownResource: true };
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

  private sendText(res: ServerResponse, code: number, text: string): void {
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
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
        conditions: [
          { type: 'Available', status: 'True' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      };
    case 'StatefulSet':
      return {
        observedGeneration: generation,
        replicas,
        readyReplicas: replicas,
        updatedReplicas: replicas,
        currentReplicas: replicas,
        availableReplicas: replicas,
      };
    case 'DaemonSet':
      return { observedGeneration: generation, desiredNumberScheduled: 1, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 };
    case 'Job':
      return { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    case 'PersistentVolumeClaim':
      return { phase: 'Bound' };
    case 'Cluster': {
      // CloudNativePG's status once every instance is up (its field names, trimmed to what qctl reads).
      const instances = (object.spec as { instances?: number } | undefined)?.instances ?? 1;
      return { instances, readyInstances: instances, phase: 'Cluster in healthy state', conditions: [{ type: 'Ready', status: 'True' }] };
    }
    default:
      return undefined;
  }
}

/** A Pod owned by `workload` (labels copied from its pod template) with the given container status. */
export function podFor(
  workload: KubeObject,
  name: string,
  options: {
    waiting?: { reason: string; message?: string };
    restartCount?: number;
    phase?: string;
    conditions?: unknown[];
    terminated?: { exitCode: number; reason?: string };
  } = {},
): KubeObject {
  const template = (
    workload.spec as {
      template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { name: string; image: string }[] } };
    }
  ).template;
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

/** A Warning event about `object`, shaped like the kubelet's and controllers' core/v1 events. */
export function warningEvent(
  object: KubeObject,
  reason: string,
  message: string,
  name = `${object.metadata.name}.${reason.toLowerCase()}`,
): KubeObject {
  return controllerEvent(object, 'Warning', reason, message, name);
}

function involved(object: KubeObject): Record<string, unknown> {
  return {
    kind: object.kind,
    namespace: object.metadata.namespace,
    name: object.metadata.name,
    uid: object.metadata.uid,
    apiVersion: object.apiVersion,
  };
}

/** A core/v1 event as controllers and the kubelet write it (count, first/last timestamps, source). */
export function controllerEvent(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, name: string): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: object.metadata.namespace },
    involvedObject: involved(object),
    reason,
    message,
    source: { component: `${object.kind.toLowerCase()}-controller` },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: '',
    reportingInstance: '',
  };
}

/** An event as the scheduler writes it through events.k8s.io: eventTime and action, no count or timestamps. */
export function schedulerEvent(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: object.metadata.namespace },
    involvedObject: involved(object),
    reason,
    message,
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    type,
    eventTime: new Date().toISOString().replace('Z', '000Z'),
    action: 'Scheduling',
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-node-1',
  };
}

/** What the PV controller does once a claim is bound. */
function bindClaim(claim: KubeObject): void {
  claim.metadata.annotations = {
    ...(claim.metadata.annotations ?? {}),
    'pv.kubernetes.io/bind-completed': 'yes',
    'pv.kubernetes.io/bound-by-controller': 'yes',
  };
  const storage = ((claim.spec ?? {}) as { resources?: { requests?: { storage?: string } } }).resources?.requests?.storage;
  claim.status = { phase: 'Bound', accessModes: ['ReadWriteOnce'], ...(storage ? { capacity: { storage } } : {}) };
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
      const actual = path
        .split('.')
        .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), object);
      return op === '!=' ? String(actual ?? '') !== value : String(actual ?? '') === value;
    };
  });
  return (object) => checks.every((check) => check(object));
}

type StatusDetails = {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field: string }[];
};

function status(code: number, reason: string, message: string, details?: StatusDetails): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function detailsOf(resource: ResourceKind, name: string): StatusDetails {
  return { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.plural };
}

function notFound(resource: ResourceKind, name: string): unknown {
  return status(
    404,
    'NotFound',
    `${resource.plural}${resource.group ? `.${resource.group}` : ''} "${name}" not found`,
    detailsOf(resource, name),
  );
}

function deletedStatus(resource: ResourceKind, object: KubeObject): unknown {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...detailsOf(resource, object.metadata.name), uid: object.metadata.uid },
  };
}

/** Kinds whose objects carry metadata.generation (the core and RBAC groups have none). */
function hasGeneration(resource: ResourceKind): boolean {
  return !['', 'rbac.authorization.k8s.io', 'storage.k8s.io'].includes(resource.group);
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** Kinds whose DELETE answers with the object itself (finalized ones marked for deletion); the others answer a Status. */
const RETURNS_DELETED_OBJECT = new Set(['Namespace', 'PersistentVolumeClaim', 'ServiceAccount', 'Service', 'Pod']);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The validation failures qctl has met on a real server: a bad name, a Service without ports. */
function validate(object: KubeObject): unknown {
  const causes: NonNullable<StatusDetails['causes']> = [];
  const name = object.metadata?.name ?? '';
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      field: 'metadata.name',
    });
  }
  const spec = (object.spec ?? {}) as { ports?: unknown[]; clusterIP?: string; type?: string };
  if (object.kind === 'Service' && !spec.ports?.length && spec.clusterIP !== 'None' && spec.type !== 'ExternalName') {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.ports' });
  }
  if (causes.length === 0) return undefined;
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return status(422, 'Invalid', `${object.kind} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`, {
    name,
    kind: object.kind,
    causes,
  });
}

/** What a manager's applied configuration says, without identity and server-owned metadata. */
function strip(object: unknown): Record<string, unknown> {
  const copy = structuredClone((object ?? {}) as Record<string, unknown>);
  delete copy.apiVersion;
  delete copy.kind;
  delete copy.status;
  const metadata = { ...((copy.metadata ?? {}) as Record<string, unknown>) };
  for (const field of [...SERVER_METADATA, 'name', 'namespace']) delete metadata[field];
  copy.metadata = metadata;
  return copy;
}

/** Field paths a configuration sets: maps are walked, lists and scalars are leaves (as atomic lists are). */
function leafPaths(value: unknown, prefix: string[] = [], out = new Map<string, string[]>()): Map<string, string[]> {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) leafPaths(v, [...prefix, k], out);
  } else if (prefix.length > 0) {
    out.set(`.${prefix.join('.')}`, prefix);
  }
  return out;
}

function valueAt(object: unknown, path: string[]): unknown {
  return path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), object);
}

function removePath(object: unknown, path: string[]): void {
  const parent = valueAt(object, path.slice(0, -1));
  if (parent && typeof parent === 'object' && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[path[path.length - 1]!];
}

function deepMerge(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const result = (target && typeof target === 'object' && !Array.isArray(target) ? target : {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === null) continue;
    result[key] = deepMerge(result[key], value);
  }
  return result;
}

/** Go maps whose empty value the server omits (`omitempty`); empty structs such as podSelector: {} stay. */
const MAP_FIELDS = new Set([
  'data',
  'binaryData',
  'stringData',
  'labels',
  'annotations',
  'matchLabels',
  'nodeSelector',
  'limits',
  'requests',
]);

/** The object as the server stores it: without empty lists and empty string maps. */
function dropEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => dropEmpty(v));
  if (!value || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const cleaned = dropEmpty(v);
    if (Array.isArray(cleaned) && cleaned.length === 0) continue;
    if (MAP_FIELDS.has(k) && cleaned && typeof cleaned === 'object' && Object.keys(cleaned).length === 0) continue;
    result[k] = cleaned;
  }
  return result;
}

type Conflict = { manager: string; subresource?: string; apiVersion: string; pathKey: string };

/** Fields another manager owns that this apply would set to a different value. */
function findConflicts(
  owners: ManagerEntry[],
  manager: string,
  applied: Map<string, string[]>,
  live: KubeObject,
  body: KubeObject,
): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const owner of owners) {
    if (owner.manager === manager) continue;
    for (const [pathKey, segments] of applied) {
      if (!owner.paths.has(pathKey)) continue;
      if (JSON.stringify(valueAt(live, segments)) === JSON.stringify(valueAt(body, segments))) continue;
      conflicts.push({ manager: owner.manager, subresource: owner.subresource, apiVersion: owner.apiVersion, pathKey });
    }
  }
  return conflicts;
}

function conflictStatus(conflicts: Conflict[], apiVersion: string): unknown {
  const who = (c: Conflict) =>
    `conflict with "${c.manager}"${c.subresource ? ` with subresource "${c.subresource}"` : ''} using ${c.apiVersion || apiVersion}`;
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${who(conflicts[0]!)}: ${conflicts[0]!.pathKey}`
      : `Apply failed with ${conflicts.length} conflicts: ${conflicts.map((c) => `${who(c)}: ${c.pathKey}`).join('\n')}`;
  return status(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: who(c), field: c.pathKey })),
  });
}

function entry(manager: string, operation: ManagerEntry['operation'], apiVersion: string, paths: Map<string, string[]>): ManagerEntry {
  return { manager, operation, apiVersion, time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), paths: new Map(paths) };
}

/** metadata.managedFields as the server shows it (FieldsV1: `f:<field>` per map key, lists as leaves). */
function managedFields(owners: ManagerEntry[]): unknown[] {
  return owners.map((o) => {
    const fields: Record<string, unknown> = {};
    for (const segments of o.paths.values()) {
      let node = fields;
      for (const segment of segments) node = (node[`f:${segment}`] ??= {}) as Record<string, unknown>;
    }
    return {
      manager: o.manager,
      operation: o.operation,
      apiVersion: o.apiVersion,
      time: o.time,
      fieldsType: 'FieldsV1',
      fieldsV1: fields,
      ...(o.subresource ? { subresource: o.subresource } : {}),
    };
  });
}

function podSelectorOf(object: KubeObject): string {
  const labels = (object.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
