import type { KubeObject } from '../../infra/scope.js';

/** A Kubernetes object as plain JSON: the shape `synthesize()` returns and the API server speaks. */
export type { KubeObject };

/** What identifies an object in the cluster (and in the inventory). */
export type ObjectRef = { apiVersion: string; kind: string; namespace?: string; name: string };

export const FIELD_MANAGER = 'qctl';
export const ENV_LABEL = 'qctl.dev/env';
export const GENERATED_LABEL = 'qctl.dev/generated';

/** Kinds that are not namespaced (so their refs never carry a namespace). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'IngressClass',
  'StorageClass',
  'PriorityClass',
  'PersistentVolume',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

export function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
  if (!isClusterScoped(object.kind) && object.metadata.namespace) ref.namespace = object.metadata.namespace;
  return ref;
}

/** `Deployment quotes-dev/quote-api`, the way every message names an object. */
export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** Identity key ignoring the API version, so moving a kind between versions is not a prune. */
export function refKey(ref: ObjectRef): string {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}
