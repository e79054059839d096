import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseOutputMode, printJson, printText } from '../cli/output.js';
import { findIdentity } from '../secrets/age.js';
import { readSecrets, secretsFile } from '../secrets/store.js';
import type { DeployFlavour } from './clusters.js';
import { chooseBuilder, onPath, type Builder } from './image.js';
import { Kube, resolveKubeTarget } from '../kube/client.js';
import { parseMicrok8sAddons, REQUIRED_MICROK8S_ADDONS } from './microk8s.js';
import type { DeployTarget } from './session.js';
/** What `qctl doctor` needs; bin/commands/doctor.ts turns the flags into it. */
export type DoctorOptions = { target: DeployTarget; builder?: string; output: string };

export type Check = { name: string; ok: boolean; detail: string; fix?: string };

const CLI_INSTALL: Record<string, string> = {
  microk8s: 'sudo snap install microk8s --classic',
  kind: 'install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  minikube: 'install minikube: https://minikube.sigs.k8s.io/docs/start/',
  k3d: 'install k3d: https://k3d.io/#installation',
  docker: 'install Docker Desktop and enable Kubernetes in its settings',
};

function ingressFix(flavour: DeployFlavour): string {
  switch (flavour.name) {
    case 'microk8s':
      return 'microk8s enable ingress';
    case 'minikube':
      return 'minikube addons enable ingress';
    case 'kind':
      return 'kubectl apply -f https://kind.sigs.k8s.io/examples/ingress/deploy-ingress-nginx.yaml';
    case 'k3d':
      return 'k3s ships Traefik: recreate the cluster without --k3s-arg --disable=traefik';
    default:
      return `install an ingress controller serving class "${flavour.ingressClassName}", or set ingress.className (qctl up --set ingress.className=NAME)`;
  }
}

function metricsFix(flavour: DeployFlavour): string {
  if (flavour.name === 'microk8s') return 'microk8s enable metrics-server';
  if (flavour.name === 'minikube') return 'minikube addons enable metrics-server';
  return 'kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/latest/download/components.yaml';
}

/** How to bring each builder's engine up when its client is installed but nothing answers. */
const DAEMON_FIX: Record<Builder, string> = {
  docker: 'start the Docker daemon (Docker Desktop, or sudo systemctl start docker), then check `docker info` works',
  podman: 'podman machine start (macOS/Windows), or check `podman info` on Linux',
  nerdctl: 'start containerd (sudo systemctl start containerd), then check `nerdctl info` works',
};

/**
 * The builder `up` would use, and whether its engine answers: a client on PATH whose daemon
 * is down (or whose socket we may not use) fails the build later, so it fails here.
 */
async function builderCheck(requested?: string): Promise<Check> {
  const choice = await chooseBuilder(requested);
  if (!choice) {
    return {
      name: 'container builder',
      ok: false,
      detail: 'none of docker, podman, nerdctl is on PATH',
      fix: 'install docker, podman or nerdctl (or deploy a prebuilt image with qctl up --image REF)',
    };
  }
  const { builder } = choice;
  if (choice.works) return { name: 'container builder', ok: true, detail: `${choice.reason} at ${onPath(builder)}, engine answers` };
  const failure = choice.failure ?? choice.reason;
  const fix = /permission denied/i.test(failure)
    ? `let your user reach the ${builder} socket (sudo usermod -aG docker $USER, then log in again)`
    : DAEMON_FIX[builder];
  return { name: 'container builder', ok: false, detail: choice.reason, fix };
}

/** The API check's message split into what failed and the fix that matches it. */
function detailAndFix(message: string, flavour: DeployFlavour): { detail: string; fix: string } {
  // `microk8s config` failing because microk8s is not installed is fixed by installing it, not by starting it.
  if (/microk8s is not installed/.test(message))
    return { detail: message.replace(/ \(sudo snap install[^)]*\)/, ''), fix: CLI_INSTALL.microk8s! };
  const split = message.lastIndexOf('; ');
  if (split > 0) return { detail: message.slice(0, split), fix: message.slice(split + 2) };
  const colon = message.lastIndexOf(': ');
  if (colon > 0 && /pass --context|set KUBECONFIG|pick one/.test(message.slice(colon)))
    return { detail: message.slice(0, colon), fix: message.slice(colon + 2) };
  return { detail: message, fix: `start the cluster (${flavour.startHint})` };
}

export async function runDoctor(root: string, flags: DoctorOptions): Promise<number> {
  const mode = parseOutputMode(flags.output);
  const { env, flavour, context, preferredContext } = flags.target;
  const checks: Check[] = [];

  checks.push(await builderCheck(flags.builder));
  if (flavour.cli) {
    const path = onPath(flavour.cli);
    checks.push(
      path
        ? { name: `${flavour.name} CLI`, ok: true, detail: path }
        : { name: `${flavour.name} CLI`, ok: false, detail: `${flavour.cli} is not on PATH`, fix: CLI_INSTALL[flavour.cli] },
    );
  }
  if (flavour.name === 'microk8s' && onPath('microk8s')) {
    const addons = await parseMicrok8sAddons();
    if (!addons) {
      const status = await execa('microk8s', ['status'], { reject: false });
      const reason =
        String(status.stderr || status.stdout || '')
          .trim()
          .split('\n')[0] ?? '';
      // Not being in the microk8s group looks like "not running" unless the message is read.
      const fix = /permission/i.test(reason)
        ? 'sudo usermod -a -G microk8s $USER, then log in again (or newgrp microk8s)'
        : 'microk8s start';
      checks.push({ name: 'microk8s running', ok: false, detail: `\`microk8s status\` failed${reason ? `: ${reason}` : ''}`, fix });
    } else {
      for (const addon of REQUIRED_MICROK8S_ADDONS) {
        const state = addons.get(addon) ?? 'missing';
        checks.push(
          state === 'enabled'
            ? { name: `microk8s addon ${addon}`, ok: true, detail: 'enabled' }
            : { name: `microk8s addon ${addon}`, ok: false, detail: state, fix: `microk8s enable ${addon}` },
        );
      }
    }
  }

  let kube: Kube | undefined;
  try {
    const target = await resolveKubeTarget({ flavour, context, preferredContext });
    kube = new Kube(target);
    const version = await kube.checkReachable(flavour.startHint);
    checks.push({ name: 'Kubernetes API', ok: true, detail: `context ${target.context} at ${target.server} (${version})` });
  } catch (error) {
    kube = undefined;
    checks.push({ name: 'Kubernetes API', ok: false, ...detailAndFix((error as Error).message, flavour) });
  }
  if (kube) {
    const classes = (await kube.list('networking.k8s.io/v1', 'IngressClass')).map((c) => c.metadata.name);
    checks.push(
      classes.includes(flavour.ingressClassName)
        ? { name: 'ingress class', ok: true, detail: flavour.ingressClassName }
        : {
            name: 'ingress class',
            ok: false,
            detail: `"${flavour.ingressClassName}" not found (cluster has: ${classes.join(', ') || 'none'}); port-forward still works`,
            fix: ingressFix(flavour),
          },
    );
    if (flavour.name !== 'microk8s') {
      const served = await kube.served('metrics.k8s.io/v1beta1', 'PodMetrics').catch(() => false);
      checks.push(
        served
          ? { name: 'metrics-server (HPA)', ok: true, detail: 'metrics.k8s.io served' }
          : {
              name: 'metrics-server (HPA)',
              ok: false,
              detail: 'metrics.k8s.io is not served: the HPA cannot scale',
              fix: metricsFix(flavour),
            },
      );
    }
  }

  const file = secretsFile(env);
  if (existsSync(join(root, file))) {
    try {
      const identity = findIdentity();
      if (!identity) throw new Error(`no age key for ${file}`);
      const entries = await readSecrets(root, env);
      checks.push({
        name: 'secrets',
        ok: true,
        detail: `${file}: ${Object.keys(entries ?? {}).length} keys, decrypted with ${identity.source}`,
      });
    } catch (error) {
      checks.push({
        name: 'secrets',
        ok: false,
        detail: (error as Error).message.split(': ')[0]!,
        fix: 'set QCTL_AGE_KEY or create ~/.config/qctl/age.txt (qctl secrets init), and have a teammate add your recipient',
      });
    }
  } else {
    checks.push({ name: 'secrets', ok: true, detail: `no ${file} (optional: qctl secrets init --env ${env})` });
  }

  const ok = checks.every((c) => c.ok);
  if (mode === 'json') {
    printJson({ ok, cluster: flavour.name, env, checks });
  } else {
    for (const c of checks) {
      printText(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
      if (c.fix) printText(`     fix: ${c.fix}\n`);
    }
    printText(ok ? `all checks passed for ${flavour.name}\n` : `${checks.filter((c) => !c.ok).length} check(s) failed\n`);
  }
  return ok ? 0 : 1;
}
