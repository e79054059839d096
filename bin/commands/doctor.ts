import type { Command } from '@commander-js/extra-typings';
import { exitWith } from '../cli/errors.js';
import { clusterOption, contextOption, envOption, outputOption } from '../cli/options.js';

function declare(program: Command) {
  return program
    .command('doctor')
    .description(
      'Check the prerequisites of qctl up (builder, cluster CLI, context, addons, ingress, age key) and print the fix for each gap.',
    )
    .addOption(clusterOption())
    .addOption(envOption())
    .addOption(contextOption())
    .option('--builder <name>', 'docker | podman | nerdctl (default: the first installed one whose engine answers)')
    .addOption(outputOption())
    .addHelpText('after', '\nExamples:\n  qctl doctor\n  qctl doctor --cluster kind --output json');
}

export function register(program: Command): void {
  declare(program).action(async (options) => {
    const [{ runDoctor }, { parseTarget }] = await Promise.all([import('../deploy/doctor.js'), import('../deploy/session.js')]);
    const root = process.cwd();
    // --env, --cluster and --context are parsed here, once.
    const { env, cluster, context, ...rest } = options;
    exitWith(await runDoctor(root, { ...rest, target: parseTarget(root, { env, cluster, context }) }));
  });
}
