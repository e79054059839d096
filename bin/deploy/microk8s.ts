import { execa } from 'execa';
import { parse } from 'yaml';

/** Addons microk8s needs for the stack, with the command that enables each. */
export const REQUIRED_MICROK8S_ADDONS = ['dns', 'hostpath-storage', 'registry', 'ingress', 'metrics-server'];

/** `microk8s status --format yaml` as addon -> status, or undefined when microk8s is missing or not running. */
export async function parseMicrok8sAddons(): Promise<Map<string, string> | undefined> {
  const result = await execa('microk8s', ['status', '--format', 'yaml'], { reject: false });
  if (result.exitCode !== 0) return undefined;
  try {
    const doc = parse(result.stdout) as { addons?: { name: string; status: string }[] };
    return new Map((doc.addons ?? []).map((a) => [a.name, String(a.status)]));
  } catch {
    return undefined;
  }
}
