import type { Kube } from '../kube/client.js';
import { ENV_LABEL, refKey, type KubeObject, type ObjectRef } from '../kube/objects.js';

/**
 * What the last `qctl up` applied for an environment, kept in the cluster as a ConfigMap so
 * that any machine can prune what the code no longer produces (and `down` knows what to delete).
 */
export const INVENTORY_NAME = 'qctl-inventory';

export type Inventory = { objects: ObjectRef[]; image?: string; cluster?: string; appliedAt?: string };

export function inventoryRef(namespace: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: INVENTORY_NAME };
}

export async function readInventory(kube: Kube, namespace: string): Promise<Inventory | undefined> {
  const object = await kube.read(inventoryRef(namespace));
  return object && parseInventory(object);
}

/** The inventory recorded in its ConfigMap (an unreadable list counts as empty). */
export function parseInventory(object: KubeObject): Inventory {
  const data = (object.data ?? {}) as Record<string, string>;
  let objects: ObjectRef[] = [];
  try {
    objects = JSON.parse(data.objects ?? '[]') as ObjectRef[];
  } catch {
    objects = [];
  }
  return { objects, image: data.image, cluster: data.cluster, appliedAt: data.appliedAt };
}

export function inventoryObject(env: string, namespace: string, inventory: Inventory): KubeObject {
  const unique = new Map(inventory.objects.map((r) => [refKey(r), r]));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: INVENTORY_NAME,
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'quotes', 'app.kubernetes.io/managed-by': 'qctl', [ENV_LABEL]: env },
    },
    data: {
      objects: JSON.stringify([...unique.values()], null, 1),
      ...(inventory.image ? { image: inventory.image } : {}),
      ...(inventory.cluster ? { cluster: inventory.cluster } : {}),
    },
  };
}
