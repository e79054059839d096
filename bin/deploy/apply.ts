import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube } from '../kube/client.js';
import { isApplied } from './live-state.js';
import { refOf, type KubeObject, type ObjectRef } from '../kube/objects.js';

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'replaced';
export type ApplyResult = { ref: ObjectRef; action: ApplyAction };

type PodTemplate = { spec?: { containers?: { image?: string; command?: string[]; args?: string[] }[] } };

function jobFingerprint(object: KubeObject): string {
  const template = (object.spec as { template?: PodTemplate } | undefined)?.template;
  return JSON.stringify((template?.spec?.containers ?? []).map((c) => [c.image, c.command ?? null, c.args ?? null]));
}

function jobFailed(object: KubeObject): boolean {
  const conditions = ((object.status ?? {}) as { conditions?: { type: string; status: string }[] }).conditions ?? [];
  return conditions.some((c) => c.type === 'Failed' && c.status === 'True');
}

/** A Job's pod template cannot change: a new image or command, or a failed last run, means delete and create. */
export function jobNeedsReplace(live: KubeObject, object: KubeObject): boolean {
  return object.kind === 'Job' && (jobFingerprint(live) !== jobFingerprint(object) || jobFailed(live));
}

/**
 * Server-side applies one object unless the live object already has every field we apply
 * (then no request is sent at all: a real server writes on some no-op applies, see
 * live-state.ts). `live` is what the caller read (undefined: the object does not exist).
 * A Job's pod template is immutable: when its image or command changed, or the last run
 * failed, the old Job is deleted and a new one created (this is how a new migration runs).
 */
export async function applyObject(
  kube: Kube,
  object: KubeObject,
  live: KubeObject | undefined,
  options: { dryRun?: boolean; pollMs?: number } = {},
): Promise<ApplyResult> {
  const ref = refOf(object);
  if (live && jobNeedsReplace(live, object)) {
    if (!options.dryRun) {
      await kube.delete(ref);
      for (let i = 0; i < 600 && (await kube.read(ref)); i++) await sleep(options.pollMs ?? 500);
      await kube.apply(object);
    }
    return { ref, action: 'replaced' };
  }
  if (isApplied(live, object)) return { ref, action: 'unchanged' };
  // Dry run of a new object: its namespace may not exist yet, so the server could not check it anyway.
  if (!live && options.dryRun) return { ref, action: 'created' };
  await kube.apply(object, { dryRun: options.dryRun });
  return { ref, action: live ? 'configured' : 'created' };
}
