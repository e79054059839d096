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
    const [{ runStatus }, { parseTarget }] = await Promise.all([import('../deploy/status.js'), import('../deploy/session.js')]);
    const root = process.cwd();
    // --env, --cluster and --context are parsed here, once.
    const { env, cluster, context, ...rest } = options;
    exitWith(await runStatus(root, { ...rest, target: parseTarget(root, { env, cluster, context }) }));
  });
}
