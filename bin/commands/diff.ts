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
    const [{ runDiff }, { parseTarget }, { parseSynthChoices }] = await Promise.all([
      import('../deploy/diff.js'),
      import('../deploy/session.js'),
      import('../../infra/request.js'),
    ]);
    const root = process.cwd();
    // The flags are parsed here, once; the engine receives them typed.
    const request = {
      target: parseTarget(root, options),
      synth: parseSynthChoices(options),
      exitCode: options.exitCode,
      output: options.output,
    };
    exitWith(await runDiff(root, request));
  });
}
