import { warnIgnoredSettings } from '../cli/output.js';
import { readSecrets } from '../secrets/store.js';
import type { EnvironmentName } from '../../infra/environments.js';
import type { SynthResult } from '../../infra/main.js';
import type { DeployFlavour } from './clusters.js';
import { userSecretObject } from './credentials.js';
import type { EngineOptions } from './engine.js';
import type { KubeObject } from '../kube/objects.js';
import { pollInterval } from './session.js';
import { imagePullHint } from './ship.js';

/**
 * What one apply of an environment consists of, shared by `qctl up` and the canary steps,
 * promotion and abort: the synthesized objects for an image, --set and --monitoring, plus the
 * user Secret from the environment's encrypted secrets file.
 */
export type ReleaseInput = {
  root: string;
  env: EnvironmentName;
  namespace: string;
  flavour: DeployFlavour;
  image: string;
  set: string[];
  monitoring?: string;
};

export type Release = { objects: KubeObject[]; synth: SynthResult; hasSecretsFile: boolean };

export async function synthesizeRelease(input: ReleaseInput): Promise<Release> {
  const fromFile = await readSecrets(input.root, input.env);
  const [{ parseSynthChoices }, { synthesizeCached }] = await Promise.all([
    import('../../infra/request.js'),
    import('../../infra/synth-cache.js'),
  ]);
  // --set and --monitoring travel as typed (and as recorded in a canary's state): parsed here, once per release.
  const choices = parseSynthChoices({ image: input.image, set: input.set, monitoring: input.monitoring });
  // Unchanged inputs reuse the last synthesized objects (infra/synth-cache.ts).
  const [{ result: synth }] = (await synthesizeCached([{ ...choices, env: input.env, cluster: input.flavour }], {
    cwd: input.root,
    validate: false,
  })) as [{ result: SynthResult }];
  warnIgnoredSettings(synth.ignored);
  const objects = [...(synth.objects as KubeObject[]), userSecretObject(input.env, input.namespace, fromFile ?? {})];
  return { objects, synth, hasSecretsFile: fromFile !== undefined };
}

/** The engine options of an apply; `image` is what the inventory records as deployed. */
export function releaseEngineOptions(
  input: Pick<ReleaseInput, 'env' | 'namespace' | 'flavour' | 'image'>,
  flags: { timeoutMs: number; dryRun?: boolean; pruneData?: boolean; rollbackOnFailure?: boolean },
): EngineOptions {
  return {
    env: input.env,
    namespace: input.namespace,
    timeoutMs: flags.timeoutMs,
    pollMs: pollInterval(),
    imageHint: imagePullHint(input.flavour),
    dryRun: flags.dryRun ?? false,
    pruneData: flags.pruneData ?? false,
    rollbackOnFailure: flags.rollbackOnFailure ?? false,
    image: input.image,
    cluster: input.flavour.name,
  };
}
