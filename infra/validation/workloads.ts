import type { KubeObject } from '../scope.js';
import type { Json } from './issue.js';

export interface PodTemplateRef {
  object: KubeObject;
  /** Path of the pod template inside the object ('' for a bare Pod). */
  path: string;
  labels: Record<string, string>;
  spec: PodSpecLike;
  isJob: boolean;
}

export interface ContainerLike {
  name?: string;
  image?: string;
  ports?: Array<{ name?: string; containerPort?: number }>;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}
export interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  volumes?: Array<{ name?: string }>;
}

/** Where the pod spec's fields live inside the object, e.g. "spec.template.spec." ("spec." for a bare Pod). */
export function podSpecPath(template: PodTemplateRef): string {
  return `${template.path ? `${template.path}.` : ''}spec.`;
}

/** The pod template of a workload object, if it has one. */
export function podTemplateOf(object: KubeObject): PodTemplateRef | null {
  const spec = (object as Json).spec as Json | undefined;
  if (!spec || typeof spec !== 'object') return null;
  const fromTemplate = (template: Json | undefined, path: string, isJob: boolean): PodTemplateRef | null =>
    template && typeof template === 'object'
      ? { object, path, labels: template.metadata?.labels ?? {}, spec: template.spec ?? {}, isJob }
      : null;
  switch (object.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'ReplicationController':
      return fromTemplate(spec.template, 'spec.template', false);
    case 'Job':
      return fromTemplate(spec.template, 'spec.template', true);
    case 'CronJob':
      return fromTemplate(spec.jobTemplate?.spec?.template, 'spec.jobTemplate.spec.template', true);
    case 'Pod':
      return { object, path: '', labels: object.metadata?.labels ?? {}, spec, isJob: false };
    default:
      return null;
  }
}

export interface LabelSelectorLike {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Kubernetes label-selector semantics (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelectorLike | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const expression of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expression.key);
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        if (!has || !values.includes(labels[expression.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[expression.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function mapSelectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
