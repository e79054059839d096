import { setTimeout as sleep } from 'node:timers/promises';
import type { Kube } from './kube.js';
import { differs } from './text-diff.js';
import { refOf, type KubeObject, type ObjectRef } from './objects.js';

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

/**
 * Server-side applies one object and says whether it changed: a no-op apply leaves the
 * resourceVersion alone, so comparing it before and after is what the API server itself says.
 * A Job's pod template is immutable: when its image or command changed, or the last run
 * failed, the old Job is deleted and a new one created (this is how a new migration runs).
 */
export async function applyObject(kube: Kube, object: KubeObject, options: { dryRun?: boolean; pollMs?: number } = {}): Promise<ApplyResult> {
  const ref = refOf(object);
  const live = await kube.read(ref);
  if (live && object.kind === 'Job' && (jobFingerprint(live) !== jobFingerprint(object) || jobFailed(live))) {
    if (!options.dryRun) {
      await kube.delete(ref);
      for (let i = 0; i < 600 && (await kube.read(ref)); i++) await sleep(options.pollMs ?? 500);
      await kube.apply(object);
    }
    return { ref, action: 'replaced' };
  }
  // Dry run of a new object: its namespace may not exist yet, so the server could not check it anyway.
  if (!live && options.dryRun) return { ref, action: 'created' };
  const result = await kube.apply(object, { dryRun: options.dryRun });
  if (!live) return { ref, action: 'created' };
  // A dry-run response is not persisted, so its resourceVersion says nothing: compare content.
  if (options.dryRun) return { ref, action: differs(live, result) ? 'configured' : 'unchanged' };
  return { ref, action: result.metadata.resourceVersion === live.metadata.resourceVersion ? 'unchanged' : 'configured' };
}
