import { usageError } from '../cli/errors.js';
import { isNonInteractive, parseOutputMode } from '../cli/output.js';
import { Progress } from '../deploy/progress.js';
import { openSession, parseTimeout, type DeployTarget } from '../deploy/session.js';
/** `qctl promote` and `qctl abort`: the two ways to finish a canary release by hand take the same options. */
export type FinishAction = 'promote' | 'abort';

/** What promote and abort need; bin/commands/finish-canary.ts turns the flags into it. */
export type FinishOptions = { target: DeployTarget; timeout: string; output: string };
import { printCanaryReport } from './report.js';
import { abortCanary, promoteCanary, type CanaryContext } from './rollout.js';
import { apiDeploymentRef, containerImage, readCanary, weightOf, type CanaryState } from '../deploy/canary-state.js';

/**
 * `qctl promote` / `qctl abort`: finish the canary in progress by hand, from the state recorded
 * on its Deployment (stable image, --set and --monitoring of the release). A canary Deployment
 * without that state (made with --set canary.tag=... by hand) is finished from what runs:
 * the stable image of quote-api, the canary's own image, no --set.
 */
export async function runFinish(root: string, flags: FinishOptions, action: FinishAction): Promise<number> {
  const mode = parseOutputMode(flags.output);
  const timeoutMs = parseTimeout(flags.timeout);
  const session = await openSession(flags.target);
  const { kube, env, namespace, flavour } = session;
  const live = await readCanary(kube, namespace);
  if (!live) {
    throw usageError(
      `no canary in progress in ${namespace} (context ${kube.target.context}): nothing to ${action}; qctl status shows what runs`,
    );
  }
  const progress = new Progress(mode, isNonInteractive());
  const state = live.state ?? (await stateFromWhatRuns(session.kube, namespace, live.deployment, progress));
  progress.info(
    `qctl ${action}: env ${env} -> context ${kube.target.context}: canary ${state.image} at ${weightOf(state)}%, stable ${state.stableImage}`,
  );
  const ctx: CanaryContext = { root, env, namespace, flavour, kube, timeoutMs, progress };
  const started = Date.now();
  const result = action === 'promote' ? await promoteCanary(ctx, state) : await abortCanary(ctx, state);
  return printCanaryReport(
    {
      outcome: result.ok ? (action === 'promote' ? 'promoted' : 'aborted') : 'failed',
      byHand: true,
      image: state.image,
      stableImage: state.stableImage,
      weights: state.weights,
      weight: weightOf(state),
      ...(action === 'abort' ? { reason: 'aborted by hand' } : {}),
      decisions: [],
      result,
    },
    mode,
    { env, namespace, cluster: flavour.name, context: kube.target.context, elapsedMs: Date.now() - started },
  );
}

async function stateFromWhatRuns(
  kube: CanaryContext['kube'],
  namespace: string,
  canary: Parameters<typeof containerImage>[0],
  progress: Progress,
): Promise<CanaryState> {
  const stable = await kube.read(apiDeploymentRef(namespace));
  const stableImage = stable && containerImage(stable);
  const image = containerImage(canary);
  if (!stableImage || !image) {
    throw usageError(`cannot tell the stable and canary images apart in ${namespace} (is quote-api deployed?): run qctl status`);
  }
  progress.info(
    `note: ${namespace}/${canary.metadata.name} carries no qctl canary state: finishing with the environment's settings and no --set`,
  );
  return { image, stableImage, weights: [0], step: 1, started: '', analysis: false, set: [] };
}
