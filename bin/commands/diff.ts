import type { Command } from 'commander';
import { exitWith } from '../cli/errors.js';
import { collect } from '../cli/options.js';

export function register(program: Command): void {
  program
    .command('diff')
    .description('Server-side dry-run of every object against the cluster: what qctl up would change (and prune).')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--cluster <flavour>', 'cluster flavour (default: the one the last up used)')
    .option('--context <name>', 'kubeconfig context (default: the one the last up used)')
    .option('--image <ref>', 'image to compare with (default: the one currently deployed)')
    .option('--monitoring <mode>', 'self | operator | none')
    .option('--set <key=value>', 'override an environment setting (repeatable)', collect)
    .option('--exit-code', 'exit 1 when something would change (for CI)')
    .option('--output <mode>', 'text or json', 'text')
    .addHelpText('after', '\nExamples:\n  qctl diff --env staging\n  qctl diff --env prod --exit-code --output json')
    .action(async (flags) => {
      const { runDiff } = await import('../deploy/diff.js');
      exitWith(await runDiff(process.cwd(), flags));
    });
}
