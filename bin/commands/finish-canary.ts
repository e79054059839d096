import type { Command } from '@commander-js/extra-typings';
import { exitWith } from '../cli/errors.js';
import { clusterOption, contextOption, envOption, outputOption, timeoutOption } from '../cli/options.js';

import type { FinishAction } from '../canary/finish.js';

function declare(program: Command, action: FinishAction, description: string) {
  return program
    .command(action)
    .description(description)
    .addOption(envOption())
    .addOption(clusterOption())
    .addOption(contextOption())
    .addOption(timeoutOption())
    .addOption(outputOption())
    .addHelpText('after', `\nExamples:\n  qctl ${action}\n  qctl ${action} --env prod --output json`);
}

export function registerFinish(program: Command, action: FinishAction, description: string): void {
  declare(program, action, description).action(async (options) => {
    const [{ runFinish }, { parseTarget }] = await Promise.all([import('../canary/finish.js'), import('../deploy/session.js')]);
    const root = process.cwd();
    // --env, --cluster and --context are parsed here, once.
    const { env, cluster, context, ...rest } = options;
    exitWith(await runFinish(root, { ...rest, target: parseTarget(root, { env, cluster, context }) }, action));
  });
}
