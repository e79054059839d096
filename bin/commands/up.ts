import type { Command } from 'commander';
import { exitWith } from '../cli/errors.js';
import { collect } from '../cli/options.js';

export function register(program: Command): void {
  program
    .command('up')
    .description('Build and ship the image, apply every object in order with server-side apply, wait for each step, prune, print URLs.')
    .option('--cluster <flavour>', 'microk8s | kind | minikube | k3d | docker-desktop | generic (default: the last one used for --env, else microk8s)')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--context <name>', 'kubeconfig context (default: the one matching the cluster flavour; microk8s falls back to `microk8s config`)')
    .option('--registry <host>', 'registry to push to and pull from (required for --cluster generic)')
    .option('--image <ref>', 'deploy this image instead of building one')
    .option('--skip-build', 'do not build or ship: use the content-addressed tag of the current tree as already shipped')
    .option('--timeout <duration>', 'deadline per waited object, e.g. 90s, 5m', '5m')
    .option('--rollback-on-failure', 'when the API rollout fails, restore its previous revision')
    .option('--prune-data', 'also delete PersistentVolumeClaims (and their data) that the code no longer produces')
    .option('--monitoring <mode>', 'self | operator | none (default: qctl.config.ts, else self)')
    .option('--set <key=value>', 'override an environment setting (repeatable), as in qctl synth', collect)
    .option('--dry-run', 'print the plan (steps, objects, order, prune set) and server-side dry-run results; change nothing')
    .option('--output <mode>', 'text or json', 'text')
    .addHelpText(
      'after',
      `
Examples:
  qctl up --cluster microk8s
  qctl up --cluster kind --env staging --timeout 3m --rollback-on-failure
  qctl up --cluster generic --context prod-eu --registry ghcr.io/acme --env prod
  qctl up --dry-run --output json`,
    )
    .action(async (flags) => {
      const { runUp } = await import('../deploy/up.js');
      exitWith(await runUp(process.cwd(), flags));
    });
}
