import { KubeConfig } from '@kubernetes/client-node';
import { usageError } from '../cli/errors.js';

/** The user's kubeconfig ($KUBECONFIG or ~/.kube/config), optionally switched to --context. */
export function loadKubeConfig(context?: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error) {
    throw usageError(`cannot read the kubeconfig: ${(error as Error).message.split('\n')[0]}; fix it or point KUBECONFIG at another file`);
  }
  const names = kc.getContexts().map((c) => c.name);
  if (context !== undefined) {
    if (!names.includes(context)) {
      throw usageError(`context "${context}" is not in the kubeconfig${names.length ? ` (it has: ${names.join(', ')})` : ''}: pick one with --context`);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw usageError('no Kubernetes cluster in the kubeconfig: set KUBECONFIG, or run `qctl up` first');
  }
  return kc;
}

/** The API's message from a client-node error, one line. */
export function kubeErrorMessage(error: unknown): string {
  const e = error as { code?: number; body?: unknown; message?: string };
  let detail = '';
  if (typeof e.body === 'string') {
    try {
      detail = (JSON.parse(e.body) as { message?: string }).message ?? '';
    } catch {
      detail = '';
    }
  }
  const text = detail || (e.message ?? String(error)).split('\n')[0]!;
  // Only an API answer has a numeric status; network errors carry string codes such as ECONNREFUSED.
  return typeof e.code === 'number' ? `HTTP ${e.code}: ${text}` : text;
}
