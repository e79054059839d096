import type { Command } from '@commander-js/extra-typings';
import { exitWith } from '../cli/errors.js';
import { clusterOption, contextOption, envOption, outputOption } from '../cli/options.js';

function declare(program: Command) {
  return program
    .command('status')
    .description('Workloads (ready/desired), HPA, Jobs, PVCs and recent Warning events of an environment.')
    .addOption(envOption())
    .addOption(clusterOption())
    .addOption(contextOption())
    .addOption(outputOption())
    .addHelpText('after', '\nExamples:\n  qctl status\n  qctl status --env prod --output json');
}

export function register(program: Command): void {
  declare(program).action(async (options) => {
    const { runStatus } = await import('../deploy/status.js');
    exitWith(await runStatus(process.cwd(), options));
  });
}
