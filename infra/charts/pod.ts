import { createHash } from 'node:crypto';
import type { IContainer, IPodSecurityContext, ISecurityContext } from 'kubernetes-models/v1';

/** uid/gid of the `node` user in the node:22 image the Dockerfile runs as. */
export const APP_UID = 1000;

/**
 * Pod-level security context, written out in full: cdk8s-plus defaults changed between
 * versions, and the namespace enforces Pod Security `restricted`.
 */
export function podSecurityContext(uid: number): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurityContext(uid: number, readOnlyRootFilesystem = true): ISecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function resourceRequirements(resources: {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}): NonNullable<IContainer['resources']> {
  return {
    requests: { cpu: resources.requests.cpu, memory: resources.requests.memory },
    limits: { cpu: resources.limits.cpu, memory: resources.limits.memory },
  };
}

const QUANTITY_BYTES: Record<string, number> = {
  '': 1,
  m: 0.001,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A memory quantity ("512Mi", "2Gi", "1G") in MiB, rounded down; the schema has checked its form. */
export function quantityToMebibytes(quantity: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (!match) throw new Error(`"${quantity}" is not a Kubernetes quantity`);
  return Math.floor((Number(match[1]) * QUANTITY_BYTES[match[2] ?? '']!) / 2 ** 20);
}

/** A short content hash, put on pod templates so a config change rolls the pods. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

export const CONFIG_HASH_ANNOTATION = 'qctl.dev/config-hash';
