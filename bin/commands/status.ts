import type { Command } from 'commander';
import { exitWith } from '../cli/errors.js';

export function register(program: Command): void {
  program
    .command('status')
    .description('Workloads (ready/desired), HPA, Jobs, PVCs and recent Warning events of an environment.')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--cluster <flavour>', 'cluster flavour (default: the one the last up used)')
    .option('--context <name>', 'kubeconfig context (default: the one the last up used)')
    .option('--output <mode>', 'text or json', 'text')
    .addHelpText('after', '\nExamples:\n  qctl status\n  qctl status --env prod --output json')
    .action(async (flags) => {
      const { runStatus } = await import('../deploy/status.js');
      exitWith(await runStatus(process.cwd(), flags));
    });
}
