import type { Kube } from '../kube/client.js';
import { FIELD_MANAGER, isClusterScoped, refKey, refOf, type KubeObject, type ObjectRef } from '../kube/objects.js';

/**
 * Is an object already applied as we would apply it? A real API server answers a no-op
 * server-side apply with a write in some cases (it drops the empty lists and maps we send and
 * then sees a change; StatefulSets with volumeClaimTemplates are rewritten every time), so its
 * resourceVersion cannot tell "unchanged". Comparing what we apply with the live object can:
 * every field we set must be there with our value (fields the server or a controller added are
 * fine), and no field our field manager still owns may have vanished from what we apply.
 */

/** Go maps the API server omits when empty; empty structs (podSelector: {}, emptyDir: {}) mean something and stay. */
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

/**
 * The object as we send it: without empty lists and empty string maps, which the server would
 * not store anyway (so sending them makes every apply a write and `diff` never clean).
 */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => compact(v)) as T;
  if (!value || typeof value !== 'object') return value;
  const result: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry === undefined) continue;
    const cleaned = compact(entry);
    if (Array.isArray(cleaned) && cleaned.length === 0) continue;
    if (MAP_FIELDS.has(key) && cleaned && typeof cleaned === 'object' && Object.keys(cleaned).length === 0) continue;
    result[key] = cleaned;
  }
  return result as T;
}

type FieldsV1 = { [key: string]: FieldsV1 };

/**
 * Every field of `desired` is in `live` with the same value (lists: same length, element by
 * element). A map field that `live` lacks although our field manager owns it (`owned`, our
 * managedFields at the same place) is one the server dropped when we applied it: a field behind a
 * feature gate the server does not have (e.g. a StatefulSet's persistentVolumeClaimRetentionPolicy
 * before 1.27). Applying it again would be dropped again, so it counts as applied.
 */
function contains(live: unknown, desired: unknown, owned?: FieldsV1): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => contains(live[i], d));
  }
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([key, value]) => {
      if (value === undefined || value === null) return true;
      const liveValue = (live as Record<string, unknown>)[key];
      if (liveValue === undefined && owned?.[`f:${key}`] !== undefined) return true;
      return contains(liveValue, value, owned?.[`f:${key}`]);
    });
  }
  return live === desired;
}

/** Does our manager own a map field (`f:name`) that `desired` no longer sets? Lists are compared whole by contains(). */
function dropsOwnedField(owned: FieldsV1, desired: unknown): boolean {
  if (!desired || typeof desired !== 'object' || Array.isArray(desired)) return false;
  for (const [key, child] of Object.entries(owned)) {
    if (!key.startsWith('f:')) continue;
    const name = key.slice(2);
    const value = (desired as Record<string, unknown>)[name];
    if (value === undefined) return true;
    if (dropsOwnedField(child, value)) return true;
  }
  return false;
}

function ownedFields(live: KubeObject): FieldsV1 | undefined {
  const entries = (live.metadata.managedFields ?? []) as {
    manager?: string;
    operation?: string;
    subresource?: string;
    fieldsV1?: FieldsV1;
  }[];
  return entries.find((e) => e.manager === FIELD_MANAGER && e.operation === 'Apply' && !e.subresource)?.fieldsV1;
}

/** True when applying `desired` (already compacted) would change nothing we manage. */
export function isApplied(live: KubeObject | undefined, desired: KubeObject): boolean {
  if (!live) return false;
  const { apiVersion: _apiVersion, kind: _kind, status: _status, ...fields } = desired;
  const owned = ownedFields(live);
  // Not applied by us before (created by someone else): one apply makes the fields ours.
  if (!owned) return false;
  if (!contains(live, fields, owned)) return false;
  return !dropsOwnedField(owned, fields);
}

/** The live objects, by refKey, as read with one list per kind and namespace. */
export type LiveState = Map<string, KubeObject>;

export function liveOf(live: LiveState, ref: ObjectRef): KubeObject | undefined {
  return live.get(refKey(ref));
}

/**
 * Reads the live state of `objects` with one LIST per (kind, namespace), all at once, instead
 * of one GET per object in sequence: a no-op `up` then costs a handful of requests.
 */
export async function readLiveState(kube: Kube, objects: KubeObject[]): Promise<LiveState> {
  const groups = new Map<string, { apiVersion: string; kind: string; namespace?: string; members: KubeObject[] }>();
  for (const object of objects) {
    const namespace = isClusterScoped(object.kind) ? undefined : object.metadata.namespace;
    const key = `${object.apiVersion}/${object.kind}/${namespace ?? ''}`;
    const group = groups.get(key) ?? { apiVersion: object.apiVersion, kind: object.kind, namespace, members: [] };
    group.members.push(object);
    groups.set(key, group);
  }
  const lists = await Promise.all(
    [...groups.values()].map((g) =>
      // Someone allowed to get and apply these objects may still not be allowed to list them all
      // (cluster-wide kinds on a shared cluster): then read them one by one.
      kube.list(g.apiVersion, g.kind, g.namespace).catch(async () => {
        const read = await Promise.all(g.members.map((o) => kube.read(refOf(o))));
        return read.filter((o): o is KubeObject => o !== undefined);
      }),
    ),
  );
  const live: LiveState = new Map();
  for (const item of lists.flat()) live.set(refKey(refOf(item)), item);
  return live;
}
