import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { JobError, usageError } from '../cli/errors.js';
import type { DeployFlavour } from './clusters.js';
import { IMAGE_NAME, type Builder } from './image.js';

/**
 * Gets the built image onto the cluster's nodes, per flavour. Pods then run it with
 * imagePullPolicy IfNotPresent (set by infra/ for local flavours).
 */
export type ShipOptions = { flavour: DeployFlavour; builder: Builder; registry?: string; context: string };

/** The image reference pods will use for a given tag. */
export function imageRef(flavour: DeployFlavour, tag: string, registry?: string): string {
  if (flavour.ship === 'microk8s') return `${flavour.registry ?? '127.0.0.1:32000'}/${IMAGE_NAME}:${tag}`;
  if (flavour.ship === 'registry') {
    if (!registry) throw usageError(`--cluster ${flavour.name} needs --registry HOST (where the cluster pulls from) or --image REF`);
    return `${registry.replace(/\/+$/, '')}/${IMAGE_NAME}:${tag}`;
  }
  return registry ? `${registry.replace(/\/+$/, '')}/${IMAGE_NAME}:${tag}` : `${IMAGE_NAME}:${tag}`;
}

/** What to check when a pod cannot pull the image, for wait diagnostics. */
export function imagePullHint(flavour: DeployFlavour): string {
  switch (flavour.ship) {
    case 'microk8s':
      return 'check the image reached the cluster: `microk8s enable registry` and re-run qctl up without --skip-build (it pushes to 127.0.0.1:32000, not localhost), and that imagePullPolicy is IfNotPresent';
    case 'kind':
      return 'check the image was loaded: `kind load docker-image REF --name CLUSTER` (qctl up does this unless --skip-build), and that imagePullPolicy is IfNotPresent, not Always';
    case 'minikube':
      return 'check the image was loaded: `minikube image load REF` (qctl up does this unless --skip-build), and that imagePullPolicy is IfNotPresent';
    case 'k3d':
      return 'check the image was imported: `k3d image import REF -c CLUSTER` (qctl up does this unless --skip-build), and that imagePullPolicy is IfNotPresent';
    case 'shared-daemon':
      return 'check the image exists in Docker Desktop (`docker image ls`) and that imagePullPolicy is IfNotPresent';
    default:
      return 'check the image was pushed to --registry, the tag exists, and the cluster can pull from it (imagePullSecrets, registry reachable from the nodes)';
  }
}

async function run(command: string, args: string[], what: string): Promise<void> {
  const result = await execa(command, args, { reject: false, all: true });
  if (result.exitCode !== 0) {
    const reason =
      result.code === 'ENOENT'
        ? `${command} is not installed`
        : String(result.all ?? result.message)
            .trim()
            .split('\n')
            .slice(-5)
            .join('\n  ');
    throw new JobError(`${what} failed (\`${command} ${args.join(' ')}\`):\n  ${reason}`);
  }
}

/** The cluster name inside a context name: kind-dev -> dev, k3d-dev -> dev. */
function clusterName(context: string, prefix: string, fallback: string): string {
  return context.startsWith(prefix) ? context.slice(prefix.length) : fallback;
}

export type ShipStep = { command: string; args: string[] };

/** The commands that ship `ref` (also printed by --dry-run). */
export function shipCommands(ref: string, options: ShipOptions & { microk8sMode?: 'push' | 'import'; archive?: string }): ShipStep[] {
  const { flavour, builder } = options;
  const archive = options.archive ?? 'image.tar';
  const viaArchive = builder !== 'docker';
  const save: ShipStep = { command: builder, args: ['save', '-o', archive, ref] };
  switch (flavour.ship) {
    case 'microk8s':
      if (options.microk8sMode === 'import') return [save, { command: 'microk8s', args: ['ctr', 'image', 'import', archive] }];
      return [{ command: builder, args: builder === 'podman' ? ['push', '--tls-verify=false', ref] : ['push', ref] }];
    case 'kind': {
      const name = clusterName(options.context, 'kind-', 'kind');
      return viaArchive
        ? [save, { command: 'kind', args: ['load', 'image-archive', archive, '--name', name] }]
        : [{ command: 'kind', args: ['load', 'docker-image', ref, '--name', name] }];
    }
    case 'minikube':
      return viaArchive
        ? [save, { command: 'minikube', args: ['image', 'load', archive, '-p', options.context] }]
        : [{ command: 'minikube', args: ['image', 'load', ref, '-p', options.context] }];
    case 'k3d': {
      const name = clusterName(options.context, 'k3d-', 'k3s-default');
      return viaArchive
        ? [save, { command: 'k3d', args: ['image', 'import', archive, '-c', name] }]
        : [{ command: 'k3d', args: ['image', 'import', ref, '-c', name] }];
    }
    case 'shared-daemon':
      return [];
    default:
      return [{ command: builder, args: ['push', ref] }];
  }
}

/** Is the microk8s registry addon on? Then push; else import into containerd. */
export async function microk8sShipMode(): Promise<'push' | 'import'> {
  const { parseMicrok8sAddons } = await import('./microk8s.js');
  const addons = await parseMicrok8sAddons();
  return addons?.get('registry') === 'enabled' ? 'push' : 'import';
}

export async function shipImage(ref: string, options: ShipOptions, onLine?: (line: string) => void): Promise<ShipStep[]> {
  const dir = mkdtempSync(join(tmpdir(), 'qctl-image-'));
  try {
    const microk8sMode = options.flavour.ship === 'microk8s' ? await microk8sShipMode() : undefined;
    const steps = shipCommands(ref, { ...options, microk8sMode, archive: join(dir, 'image.tar') });
    for (const step of steps) {
      onLine?.(`$ ${step.command} ${step.args.join(' ')}`);
      await run(step.command, step.args, `shipping ${ref} to ${options.flavour.name}`);
    }
    return steps;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
