import { formatDuration } from '../cli/duration.js';
import { usageError } from '../cli/errors.js';
import { isNonInteractive, parseOutputMode, printJson, printText as printSafe } from '../cli/output.js';
import { secretsFile } from '../secrets/store.js';
import { deploy, summarizeEngineResult, type EngineResult } from '../deploy/engine.js';
import { readInventory } from '../deploy/inventory.js';
import { NoClusterError } from '../kube/client.js';
import { buildImage, chooseBuilder, contentTag, imageExists, type Builder } from '../deploy/image.js';
import type { DeployFlavour } from '../deploy/clusters.js';
import { describeRef, refOf, type KubeObject } from '../kube/objects.js';
import { describePlan, buildPlan } from '../deploy/plan.js';
import { Progress } from '../deploy/progress.js';
import { openSession, parseTimeout, rememberTarget, type DeployTarget, type Session } from '../deploy/session.js';
import { imageRef, shipCommands, shipImage, type ShipOptions } from '../deploy/ship.js';
import { accessInfo, hasNodePort, nodeAddress } from '../deploy/urls.js';
/** What `qctl up` needs; bin/commands/up.ts turns the flags into it (and refuses canary flags without --canary). */
export type UpOptions = CanaryFlags & {
  /** --env, --cluster and --context, parsed by the command. */
  target: DeployTarget;
  registry?: string;
  builder?: string;
  image?: string;
  skipBuild?: boolean;
  timeout: string;
  rollbackOnFailure?: boolean;
  pruneData?: boolean;
  monitoring?: string;
  set: string[];
  dryRun?: boolean;
  output: string;
};
import { parseCanaryFlags, parseWeights, type CanaryFlags } from '../canary/flags.js';
import { CANARY_NAME, refuseDuringCanary } from '../deploy/canary-state.js';
import { printCanaryReport } from '../canary/report.js';
import type { AnalysisAccess } from '../canary/rollout.js';
import { releaseEngineOptions, synthesizeRelease } from '../deploy/release.js';

/**
 * `qctl up`: validate everything that can be validated without a cluster first (flags,
 * secrets decrypt, manifests synthesize with --set/--image/--monitoring, a builder exists),
 * then reach the cluster, build, ship, apply in order with waits, prune, and print where the
 * stack is reachable. `--dry-run` with no reachable cluster prints the plan offline.
 */
export async function runUp(root: string, flags: UpOptions): Promise<number> {
  const mode = parseOutputMode(flags.output);
  const timeoutMs = parseTimeout(flags.timeout);
  const { target } = flags;
  const { env, flavour, namespace } = target;
  if (flags.image !== undefined && flags.skipBuild) throw usageError('--image and --skip-build both skip the build: pass only one');
  if (flavour.ship === 'registry' && !flags.registry && flags.image === undefined) {
    throw usageError(`--cluster ${flavour.name} needs --registry HOST (a registry the cluster pulls from) or --image REF`);
  }
  const firstWeight = flags.canary === undefined ? undefined : parseWeights({ ...flags, canary: flags.canary })[0]!;
  // Only a canary release loads the canary engine (and the chart modules it shares with synth).
  const rollout = flags.canary === undefined ? undefined : await import('../canary/rollout.js');
  if (firstWeight !== undefined && flags.dryRun)
    throw usageError('--canary and --dry-run do not go together: preview the canary with qctl diff --set canary.tag=TAG');

  let builder: Builder | undefined;
  let builderReason = '';
  const build = flags.image === undefined && !flags.skipBuild;
  if (build) {
    // Probed even for --dry-run, so the plan shows the builder a real run would use.
    const choice = await chooseBuilder(flags.builder);
    if (!flags.dryRun && !choice)
      throw usageError('no container builder found: install docker, podman or nerdctl, or pass --image REF (or --skip-build)');
    if (!flags.dryRun && choice && !choice.works)
      throw usageError(
        `no working container builder: ${choice.reason}; start its engine, or pass --builder NAME, --image REF or --skip-build`,
      );
    builder = choice?.builder;
    builderReason = choice?.reason ?? '';
  }
  const ref = flags.image ?? imageRef(flavour, await contentTag(root), flags.registry);

  // A canary release is checked here with the new image standing in for the stable one (known only from the cluster).
  const set = firstWeight !== undefined ? [...flags.set, ...rollout!.canarySettings(ref, firstWeight)] : flags.set;
  const release = await synthesizeRelease({ root, env, namespace, flavour, image: ref, set, monitoring: flags.monitoring });
  const { synth, objects, hasSecretsFile } = release;
  // Everything about the canary that can be judged offline is judged here, before the first write.
  const settings = synth.context.env;
  const canary = flags.canary === undefined ? undefined : parseCanaryFlags({ ...flags, canary: flags.canary }, settings.canary.analysis);
  if (canary) rollout!.requirePrometheusSource(namespace, canary, synth.monitoring);
  const steps = canary && rollout!.realSteps(settings, canary.weights);
  if (canary && steps) canary.weights = steps.weights;

  let session: Session;
  try {
    session = await openSession(target);
  } catch (error) {
    // A dry run needs no cluster to show what would happen: print the plan offline.
    if (flags.dryRun && error instanceof NoClusterError) {
      return printOfflinePlan({
        mode,
        env,
        namespace,
        flavour,
        ref,
        objects,
        build,
        builder: builder ?? 'docker',
        flags,
        reason: error.message,
      });
    }
    throw error;
  }
  const { kube } = session;

  const progress = new Progress(mode, isNonInteractive());
  progress.info(
    `qctl up: env ${env} -> context ${kube.target.context} (${flavour.name}, Kubernetes ${session.serverVersion}), image ${ref}`,
  );
  if (!hasSecretsFile)
    progress.info(`note: no ${secretsFile(env)}: quote-api-secrets is created empty (qctl secrets init to add OPENAI_API_KEY, API_TOKEN)`);
  const started = Date.now();
  for (const note of steps?.notes ?? []) progress.info(note);
  const canaryStart = canary
    ? await rollout!.planCanary(kube, namespace, ref, canary, { set: flags.set, monitoring: flags.monitoring })
    : flags.dryRun
      ? undefined
      : await refuseDuringCanary(
          kube,
          namespace,
          objects.some((o) => o.kind === 'Deployment' && o.metadata.name === CANARY_NAME),
        );
  // Prometheus is reached and answers for this namespace before anything is built, shipped or applied.
  const ctx = { root, env, namespace, flavour, kube, timeoutMs, progress };
  let analysis: AnalysisAccess | undefined;
  if (canary?.analysis && canaryStart) {
    const prometheus = await rollout!.openPrometheus(ctx, canary, canaryStart.state.monitoring ?? synth.monitoring);
    await rollout!.checkPrometheus(prometheus, namespace);
    analysis = { prometheus, canaryTarget: () => rollout!.forwardToCanary(ctx) };
  }

  const buildLines: string[] = [];
  if (build) {
    const chosen = builder ?? 'docker';
    if (builderReason) progress.info(`builder: ${builderReason}`);
    if (flags.dryRun) {
      buildLines.push(...buildCommands(ref, { flavour, builder: chosen, registry: flags.registry, context: kube.target.context }));
      for (const line of buildLines) progress.info(line);
    } else {
      let built = false;
      try {
        await progress.step(`Build image ${ref}`, async (log) => {
          if (await imageExists(chosen, ref)) return log('already built (content-addressed tag)');
          await buildImage(chosen, ref, root, log);
          built = true;
        });
        // Same tag as the last successful up and nothing rebuilt: the cluster already has this image.
        const shipped = !built && (await readInventory(kube, namespace))?.image === ref;
        await progress.step(`Ship image to ${flavour.name}`, async (log) => {
          if (shipped) return log(`already shipped: the last up deployed ${ref}`);
          const steps = await shipImage(ref, { flavour, builder: chosen, registry: flags.registry, context: kube.target.context }, log);
          if (steps.length === 0) log('nothing to do: the cluster shares the Docker daemon');
        });
      } catch (error) {
        // An open port-forward to Prometheus would keep the process alive after the error.
        await analysis?.prometheus.close();
        throw error;
      }
    }
  }

  if (flags.dryRun && mode === 'text') {
    progress.info('plan:');
    const firstInstall = (await readInventory(kube, namespace)) === undefined;
    for (const line of describePlan(buildPlan(objects, { firstInstall }))) progress.info(`  ${line}`);
  }

  if (canary && canaryStart) {
    if (canaryStart.resumed) progress.info(`resuming the canary of ${ref} started ${canaryStart.state.started}`);
    const report = await rollout!.runCanary(ctx, canaryStart.state, canary, analysis);
    rememberTarget(root, env, flavour.name, kube.target.context);
    return printCanaryReport(report, mode, {
      env,
      namespace,
      cluster: flavour.name,
      context: kube.target.context,
      elapsedMs: Date.now() - started,
    });
  }

  const result = await deploy(
    kube,
    objects,
    releaseEngineOptions({ env, namespace, flavour, image: ref }, { timeoutMs, ...flags }),
    progress,
  );
  if (!flags.dryRun) rememberTarget(root, env, flavour.name, kube.target.context);
  const exposed = synth.objects as KubeObject[];
  const access = accessInfo(exposed, flavour.name, hasNodePort(exposed) ? await nodeAddress(kube) : undefined);
  const elapsed = Date.now() - started;

  if (mode === 'json') {
    printJson({
      ok: result.ok,
      dryRun: flags.dryRun ?? false,
      env,
      namespace,
      cluster: flavour.name,
      context: kube.target.context,
      image: ref,
      elapsedMs: elapsed,
      ...summarizeEngineResult(result),
      ...(flags.dryRun ? { build: buildLines } : {}),
      urls: access.urls,
      portForward: access.portForward,
      steps: progress.steps.map((s) => ({ title: s.title, ok: s.ok, ms: s.ms })),
    });
  } else {
    printText(result, access, elapsed, flags.dryRun ?? false);
  }
  if (!result.ok && mode === 'text' && result.error) process.stderr.write(`qctl: ${result.error.message}\n`);
  return result.ok ? 0 : 1;
}

function buildCommands(ref: string, options: ShipOptions): string[] {
  return [
    `${options.builder} build -t ${ref} -f Dockerfile .`,
    ...shipCommands(ref, options).map((step) => `${step.command} ${step.args.join(' ')}`),
  ].map((c) => `would run: ${c}`);
}

/** Every container image the objects run (init containers included), in order of appearance. */
function imagesOf(objects: KubeObject[]): string[] {
  type PodSpec = { containers?: { image?: string }[]; initContainers?: { image?: string }[] };
  const images = objects.flatMap((o) => {
    const spec = (o.spec ?? {}) as { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } };
    const pod = spec.template?.spec ?? spec.jobTemplate?.spec?.template?.spec;
    return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].map((c) => c.image).filter((i): i is string => !!i);
  });
  return [...new Set(images)];
}

/** What only the cluster can tell, so an offline dry run leaves it out. */
const NEEDS_CLUSTER = [
  'whether this is a first install (the seed Job runs only then)',
  'which objects would be created, changed or left unchanged (server-side dry run)',
  'what would be pruned, and which generated credentials would be created',
  'whether the cluster serves every kind, has the IngressClass (or the Gateway), and the node port is free',
];

function printOfflinePlan(input: {
  mode: 'text' | 'json';
  env: string;
  namespace: string;
  flavour: DeployFlavour;
  ref: string;
  objects: KubeObject[];
  build: boolean;
  builder: Builder;
  flags: UpOptions;
  reason: string;
}): number {
  const { mode, env, namespace, flavour, ref, objects, flags } = input;
  // The seed Job is shown: without the cluster there is no telling whether this is a first install.
  const steps = buildPlan(objects, { firstInstall: true });
  const context = flags.target.context ?? `(the ${flavour.name} context)`;
  const build = input.build ? buildCommands(ref, { flavour, builder: input.builder, registry: flags.registry, context }) : [];
  const images = imagesOf(objects);
  if (mode === 'json') {
    printJson({
      ok: true,
      dryRun: true,
      offline: true,
      reason: input.reason,
      env,
      namespace,
      cluster: flavour.name,
      image: ref,
      images,
      build,
      plan: steps.map((s) => ({
        step: s.title,
        objects: s.objects.map((o) => describeRef(refOf(o))),
        waitFor: s.waitFor.map(describeRef),
      })),
      needsCluster: NEEDS_CLUSTER,
    });
    return 0;
  }
  const out = (line = '') => printSafe(`${line}\n`);
  out(`qctl up --dry-run: env ${env} (${flavour.name}), image ${ref}: offline plan, no cluster reached`);
  out(`  (${input.reason})`);
  for (const line of build) out(line);
  out('images:');
  for (const image of images) out(`  ${image}`);
  out('plan:');
  for (const line of describePlan(steps)) out(`  ${line}`);
  out('needs a cluster (run again when it is reachable):');
  for (const line of NEEDS_CLUSTER) out(`  - ${line}`);
  out(`dry run: nothing was changed. ${objects.length} objects in ${steps.length} steps`);
  return 0;
}

function printText(result: EngineResult, access: ReturnType<typeof accessInfo>, elapsed: number, dryRun: boolean): void {
  const counts = new Map<string, number>();
  for (const o of result.objects) counts.set(o.action, (counts.get(o.action) ?? 0) + 1);
  const summary = [...counts]
    .map(([action, n]) => `${n} ${dryRun && action !== 'unchanged' && action !== 'skipped' ? `would be ${action}` : action}`)
    .join(', ');
  const out = (line = '') => printSafe(`${line}\n`);
  for (const warning of result.warnings) out(`warning: ${warning}`);
  if (result.rolledBack) {
    out(
      `rolled back ${result.rolledBack.deployment} to ${result.rolledBack.image ?? 'its previous revision'}${result.rolledBack.ready ? '' : ' (it is not ready either)'}`,
    );
  }
  if (!result.ok) return;
  out(`${dryRun ? 'dry run: nothing was changed. ' : ''}${summary || 'no objects'} in ${formatDuration(elapsed)}`);
  if (dryRun) return;
  if (access.urls.length) {
    out('');
    for (const url of access.urls) out(`  ${url.name.padEnd(12)} ${url.url}`);
  }
  if (access.portForward.length) {
    out('');
    out('without ingress, port-forward:');
    for (const pf of access.portForward) out(`  ${pf.command}   # ${pf.name} on ${pf.url}`);
  }
}
