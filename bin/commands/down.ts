import type { Command } from 'commander';
import { exitWith } from '../cli/errors.js';

export function register(program: Command): void {
  program
    .command('down')
    .description('Delete what qctl up applied for an environment, in reverse order; keeps PVCs, namespaces and generated credentials unless --prune-data.')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--cluster <flavour>', 'cluster flavour (default: the one the last up used)')
    .option('--context <name>', 'kubeconfig context (default: the one the last up used)')
    .option('--yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--prune-data', 'also delete PersistentVolumeClaims, the namespaces and the generated credentials: the data is gone')
    .option('--output <mode>', 'text or json', 'text')
    .addHelpText('after', '\nExamples:\n  qctl down --env dev\n  qctl down --env staging --yes --prune-data')
    .action(async (flags) => {
      const { runDown } = await import('../deploy/down.js');
      exitWith(await runDown(process.cwd(), flags));
    });
}
