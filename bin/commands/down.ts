import type { Command } from '@commander-js/extra-typings';
import { exitWith } from '../cli/errors.js';
import { clusterOption, contextOption, envOption, outputOption } from '../cli/options.js';

function declare(program: Command) {
  return program
    .command('down')
    .description(
      'Delete what qctl up applied for an environment, in reverse order; keeps PVCs, namespaces and generated credentials unless --prune-data.',
    )
    .addOption(envOption())
    .addOption(clusterOption())
    .addOption(contextOption())
    .option('--yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--prune-data', 'also delete PersistentVolumeClaims, the namespaces and the generated credentials: the data is gone')
    .addOption(outputOption())
    .addHelpText('after', '\nExamples:\n  qctl down --env dev\n  qctl down --env staging --yes --prune-data');
}

export function register(program: Command): void {
  declare(program).action(async (options) => {
    const [{ runDown }, { parseTarget }] = await Promise.all([import('../deploy/down.js'), import('../deploy/session.js')]);
    const root = process.cwd();
    // --env, --cluster and --context are parsed here, once.
    const { env, cluster, context, ...rest } = options;
    exitWith(await runDown(root, { ...rest, target: parseTarget(root, { env, cluster, context }) }));
  });
}
