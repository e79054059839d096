import type { Command } from '@commander-js/extra-typings';
import { exitWith } from '../cli/errors.js';
import { clusterOption, contextOption, envOption, monitoringOption, outputOption, setOption } from '../cli/options.js';

function declare(program: Command) {
  return program
    .command('diff')
    .description('Server-side dry-run of every object against the cluster: what qctl up would change (and prune).')
    .addOption(envOption())
    .addOption(clusterOption())
    .addOption(contextOption())
    .option('--image <ref>', 'image to compare with (default: the one currently deployed)')
    .addOption(monitoringOption())
    .addOption(setOption())
    .option('--exit-code', 'exit 1 when something would change (for CI)')
    .addOption(outputOption())
    .addHelpText('after', '\nExamples:\n  qctl diff --env staging\n  qctl diff --env prod --exit-code --output json');
}

export function register(program: Command): void {
  declare(program).action(async (options) => {
    const { runDiff } = await import('../deploy/diff.js');
    exitWith(await runDiff(process.cwd(), options));
  });
}
