import type { Command } from '@commander-js/extra-typings';
import { exitWith, usageError } from '../cli/errors.js';
import { clusterOption, contextOption, envOption, monitoringOption, outputOption, setOption, timeoutOption } from '../cli/options.js';

function declare(program: Command) {
  return (
    program
      .command('up')
      .description('Build and ship the image, apply every object in order with server-side apply, wait for each step, prune, print URLs.')
      .addOption(clusterOption())
      .addOption(envOption())
      .addOption(contextOption())
      .option('--registry <host>', 'registry to push to and pull from (required for --cluster generic)')
      .option('--builder <name>', 'docker | podman | nerdctl (default: the first installed one whose engine answers)')
      .option('--image <ref>', 'deploy this image instead of building one')
      .option('--skip-build', 'do not build or ship: use the content-addressed tag of the current tree as already shipped')
      .addOption(timeoutOption())
      .option('--rollback-on-failure', 'when the API rollout fails, restore its previous revision')
      .option('--prune-data', 'also delete PersistentVolumeClaims (and their data) that the code no longer produces')
      .addOption(monitoringOption())
      .addOption(setOption())
      .option('--dry-run', 'print the plan (steps, objects, order, prune set) and server-side dry-run results; change nothing')
      .option(
        '--canary <weight>',
        'release the new image as quote-api-canary beside the stable version with this share of traffic (percent), analyse, then promote or abort',
      )
      .option(
        '--canary-steps <weights>',
        'weights after --canary, comma-separated; promotion follows the last (default: 50 when above --canary)',
      )
      .option('--no-analysis', 'with --canary: deploy the canary at its weight and leave it for qctl promote / qctl abort')
      .option(
        '--prometheus-url <url>',
        "Prometheus for the analysis (default: a port-forward to the environment's own, monitoring-<env>/prometheus)",
      )
      // No defaults here: what is not given comes from the environment's canary.analysis settings.
      .option(
        '--analysis-interval <duration>',
        'time between two checks; each judges the user requests since the previous one (setting canary.analysis.interval, 30s; at most 1h)',
      )
      .option(
        '--analysis-grace <duration>',
        'abort when a step has gone this long without usable canary numbers (canary.analysis.grace, 2m; at most 24h)',
      )
      .option('--analysis-checks <n>', 'passing checks that finish a step (canary.analysis.checks, 2)')
      .option(
        '--max-error-ratio <ratio>',
        'highest share of 5xx answers of the canary, e.g. 1% or 0.01 (canary.analysis.maxErrorRatio, 1%)',
      )
      .option('--max-p99 <duration>', 'highest p99 latency of the canary (canary.analysis.maxP99, 500ms; at most 10s)')
      .option('--max-p99-ratio <factor>', 'highest canary p99 as a multiple of the stable p99, or off (canary.analysis.maxP99Ratio, 1.5)')
      .option(
        '--min-requests <n>',
        'user requests the canary must serve in one check before its numbers count (canary.analysis.minRequests, 20)',
      )
      .option(
        '--canary-load <rate>',
        'requests per second qctl itself sends to the canary during the analysis, for a canary without users yet (canary.analysis.load, 0: off)',
      )
      .addOption(outputOption())
      .addHelpText(
        'after',
        `
Examples:
  qctl up --cluster microk8s
  qctl up --cluster kind --env staging --timeout 3m --rollback-on-failure
  qctl up --cluster generic --context prod-eu --registry ghcr.io/acme --env prod
  qctl up --dry-run --output json
  qctl up --canary 20 --canary-steps 50 --max-error-ratio 1% --max-p99 300ms
  qctl up --canary 10 --no-analysis     # then: qctl promote | qctl abort`,
      )
  );
}

/** Options that only mean something for a canary release. */
const CANARY_ONLY = [
  'canarySteps',
  'analysis',
  'prometheusUrl',
  'analysisInterval',
  'analysisGrace',
  'analysisChecks',
  'maxErrorRatio',
  'maxP99',
  'maxP99Ratio',
  'minRequests',
  'canaryLoad',
] as const;

export function register(program: Command): void {
  declare(program).action(async (options, command) => {
    // Given without --canary they would be silently ignored (their defaults cannot tell).
    const stray = CANARY_ONLY.find((key) => command.getOptionValueSource(key) === 'cli');
    if (stray && options.canary === undefined) {
      const flag = command.options.find((o) => o.attributeName() === stray)?.long ?? stray;
      throw usageError(`${flag} only applies to a canary release: add --canary WEIGHT (e.g. --canary 20)`);
    }
    const [{ runUp }, { parseTarget }] = await Promise.all([import('../up/up.js'), import('../deploy/session.js')]);
    const root = process.cwd();
    // --env, --cluster and --context are parsed here, once.
    const { env, cluster, context, ...rest } = options;
    exitWith(await runUp(root, { ...rest, target: parseTarget(root, { env, cluster, context }) }));
  });
}
