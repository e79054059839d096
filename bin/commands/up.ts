import type { Command } from '@commander-js/extra-typings';
import { exitWith } from '../cli/errors.js';
import { clusterOption, contextOption, envOption, monitoringOption, outputOption, setOption, type OptionsOf } from '../cli/options.js';

function declare(program: Command) {
  return program
    .command('up')
    .description('Build and ship the image, apply every object in order with server-side apply, wait for each step, prune, print URLs.')
    .addOption(clusterOption())
    .addOption(envOption())
    .addOption(contextOption())
    .option('--registry <host>', 'registry to push to and pull from (required for --cluster generic)')
    .option('--image <ref>', 'deploy this image instead of building one')
    .option('--skip-build', 'do not build or ship: use the content-addressed tag of the current tree as already shipped')
    .option('--timeout <duration>', 'deadline per waited object, e.g. 90s, 5m', '5m')
    .option('--rollback-on-failure', 'when the API rollout fails, restore its previous revision')
    .option('--prune-data', 'also delete PersistentVolumeClaims (and their data) that the code no longer produces')
    .addOption(monitoringOption())
    .addOption(setOption())
    .option('--dry-run', 'print the plan (steps, objects, order, prune set) and server-side dry-run results; change nothing')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Examples:
  qctl up --cluster microk8s
  qctl up --cluster kind --env staging --timeout 3m --rollback-on-failure
  qctl up --cluster generic --context prod-eu --registry ghcr.io/acme --env prod
  qctl up --dry-run --output json`,
    );
}

export type UpOptions = OptionsOf<typeof declare>;

export function register(program: Command): void {
  declare(program).action(async (options) => {
    const { runUp } = await import('../deploy/up.js');
    exitWith(await runUp(process.cwd(), options));
  });
}
