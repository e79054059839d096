import { ApiObject, Chart, Names } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';
import { InfraUsageError } from './errors.js';
import type { EnvironmentName } from './environments.js';
import { MANAGED_BY, PART_OF, ENV_LABEL } from './labels.js';
import { isPhase, PHASE_ANNOTATION, PHASES, phaseOfKind, type Phase } from './phases.js';
import type { KubeObject } from './scope.js';
import type { Json } from './validation/issue.js';
import { podTemplateOf } from './validation/workloads.js';
import type { AppConfig } from './charts/app-config.js';
import type { Cnpg } from './charts/cnpg.js';
import type { DatabaseEndpoint } from './charts/database.js';
import type { AppJob } from './charts/jobs.js';
import type { Namespace, ServiceAccounts } from './charts/namespace.js';
import type { NetworkPolicies } from './charts/network-policies.js';
import type { PgBouncer } from './charts/pgbouncer.js';
import type { Postgres } from './charts/postgres.js';
import type { QuoteApi } from './charts/quote-api.js';
import type { Redis } from './charts/redis.js';
import type { Routing } from './charts/routing.js';
import type { Monitoring } from './monitoring/index.js';

/**
 * The extension point: a user's module (`qctl.extensions.ts` beside qctl.config.ts, or the
 * file its `extensions` key names) whose default export is a StackExtension. qctl calls it
 * once per environment after building the stack; whatever cdk8s or cdk8s-plus-28 constructs
 * it adds to `chart` are validated, applied in their phase, waited for, pruned when removed
 * and shown by `qctl status` like qctl's own objects. See docs/manifests.md.
 *
 * qctl itself never imports cdk8s-plus-28: it is loaded only by an extension that uses it, so
 * `qctl synth` without one does not pay for it.
 */

/** The stack's parts, for wiring what you add to them (`stack.postgres.connectionEnv()`, `stack.networkPolicies.allow(...)`). */
export interface QuoteStack {
  env: EnvironmentName;
  /** The app namespace, `quotes-<env>`. */
  namespace: string;
  /** The Namespace object of the app namespace. */
  namespaceObject: Namespace;
  /** `.api`, `.jobs`, `.postgres`, `.redis`: each with its `.serviceAccountName`. */
  serviceAccounts: ServiceAccounts;
  /** The API's ConfigMap (`.configMapName`, `.data`, `.configHash`). */
  appConfig: AppConfig;
  api: QuoteApi;
  /** Gateway API / Istio routes to the API (each undefined when its mode is off). */
  routing: Routing;
  /** The in-cluster Postgres; undefined when `postgres.mode` is external or cnpg. */
  postgres?: Postgres;
  /** The CloudNativePG Cluster (and `.pooler`); undefined unless `postgres.mode` is cnpg. */
  cnpg?: Cnpg;
  /** Our PgBouncer; undefined unless `postgres.pooler` is pgbouncer outside cnpg mode. */
  pgbouncer?: PgBouncer;
  /** The database server whatever its mode (Postgres, Cnpg or an ExternalDatabase): `.host`, `.port`, `.credentials`. */
  database: DatabaseEndpoint;
  /** The cache; undefined when `redis.enabled` is false. */
  redis?: Redis;
  jobs: { migrate: AppJob; seed: AppJob };
  networkPolicies: NetworkPolicies;
  monitoring: Monitoring;
}

export interface StackExtensionContext {
  /**
   * The chart for your objects: namespace `quotes-<env>` unless an object names another,
   * qctl's labels on every object, written to `50-extensions.yaml`. Objects are named after
   * their construct path inside this chart (`new kplus.Deployment(chart, 'worker')` is `worker`).
   */
  chart: Chart;
  stack: QuoteStack;
  env: EnvironmentName;
  namespace: string;
}

export type StackExtension = (context: StackExtensionContext) => void;

/** Identity function that gives qctl.extensions.ts its types. */
export function defineExtension(extension: StackExtension): StackExtension {
  return extension;
}

/**
 * Puts every object under `construct` in deploy phase `phase` (namespaces, rbac, config, data,
 * migrate, api, monitoring, seed). Without it an object's phase follows its kind: namespaces,
 * RBAC and config kinds first, Prometheus operator kinds with monitoring, everything else
 * with the API (after the migration Job, waited for before monitoring).
 */
export function deployPhase(construct: IConstruct, phase: Phase): void {
  if (!isPhase(phase)) throw new InfraUsageError(`deployPhase(${construct.node.id}, "${String(phase)}"): use one of ${PHASES.join(', ')}`);
  for (const child of construct.node.findAll()) {
    if (child instanceof ApiObject) child.metadata.addAnnotation(PHASE_ANNOTATION, phase);
  }
}

export const EXTENSIONS_FILE = '50-extensions.yaml';
const CHART_ID = 'extensions';

/**
 * The chart an extension adds to. On render every object gets its phase (deployPhase's, else
 * by kind) and, on each pod template, the security settings the namespace's Pod Security
 * `restricted` profile requires wherever the extension left them unset.
 */
export class ExtensionChart extends Chart {
  constructor(scope: Construct, env: EnvironmentName, namespace: string) {
    super(scope, CHART_ID, {
      namespace,
      disableResourceNameHashes: true,
      labels: {
        'app.kubernetes.io/instance': `${PART_OF}-${env}`,
        'app.kubernetes.io/part-of': PART_OF,
        'app.kubernetes.io/managed-by': MANAGED_BY,
        [ENV_LABEL]: env,
      },
    });
  }

  /** Names without the chart's own id: `worker`, not `extensions-worker`. */
  override generateObjectName(apiObject: ApiObject): string {
    const name = Names.toDnsLabel(apiObject, { includeHash: false, maxLen: apiObject.kind === 'CronJob' ? 52 : undefined });
    return name.startsWith(`${CHART_ID}-`) ? name.slice(CHART_ID.length + 1) : name;
  }

  override toJson(): unknown[] {
    return (super.toJson() as KubeObject[]).map((object) => {
      const annotations = (object.metadata.annotations ??= {});
      const stamped = annotations[PHASE_ANNOTATION];
      if (stamped !== undefined && !isPhase(stamped)) {
        throw new InfraUsageError(
          `${object.kind}/${object.metadata.name}: unknown ${PHASE_ANNOTATION} "${stamped}": use deployPhase() with one of ${PHASES.join(', ')}`,
        );
      }
      annotations[PHASE_ANNOTATION] = stamped ?? phaseOfKind(object.kind);
      applySecurityDefaults(object);
      return withoutEmptyLists(object) as KubeObject;
    });
  }
}

/**
 * cdk8s-plus writes some empty lists (a Service's `externalIPs: []`); the API server does not
 * store them, so sending them would make every `qctl up` report a change. An empty list and
 * an absent one mean the same to Kubernetes.
 */
function withoutEmptyLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyLists);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (Array.isArray(item) && item.length === 0) continue;
    out[key] = withoutEmptyLists(item);
  }
  return out;
}

/**
 * Fills what Pod Security `restricted` requires where the object leaves it unset (cdk8s-plus
 * sets some of these and not others, and its defaults changed between major versions):
 * pod runAsNonRoot and seccomp RuntimeDefault; per container no privilege escalation, not
 * privileged, read-only root filesystem, all capabilities dropped. Set a field yourself to
 * override it (an image that must write to its root filesystem: readOnlyRootFilesystem false).
 * Resources are not invented: validation requires them (cdk8s-plus sets defaults).
 */
export function applySecurityDefaults(object: KubeObject): void {
  const template = podTemplateOf(object);
  if (!template) return;
  const spec = template.spec as Json;
  const pod = (spec.securityContext ??= {}) as Json;
  pod.runAsNonRoot ??= true;
  pod.seccompProfile ??= { type: 'RuntimeDefault' };
  for (const field of ['initContainers', 'containers']) {
    for (const container of (spec[field] as Json[] | undefined) ?? []) {
      const context = (container.securityContext ??= {}) as Json;
      context.allowPrivilegeEscalation ??= false;
      context.privileged ??= false;
      context.readOnlyRootFilesystem ??= true;
      context.capabilities ??= { drop: ['ALL'] };
    }
  }
}
