import type { Command } from 'commander';
import { exitWith } from '../cli/errors.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check the prerequisites of qctl up (builder, cluster CLI, context, addons, ingress, age key) and print the fix for each gap.')
    .option('--cluster <flavour>', 'microk8s | kind | minikube | k3d | docker-desktop | generic (default: the last one used, else microk8s)')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--context <name>', 'kubeconfig context to check')
    .option('--output <mode>', 'text or json', 'text')
    .addHelpText('after', '\nExamples:\n  qctl doctor\n  qctl doctor --cluster kind --output json')
    .action(async (flags) => {
      const { runDoctor } = await import('../deploy/doctor.js');
      exitWith(await runDoctor(process.cwd(), flags));
    });
}
