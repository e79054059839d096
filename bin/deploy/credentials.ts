import { randomBytes } from 'node:crypto';
import { API_NAME } from '../../infra/monitoring/names.js';
import { SECRETS } from '../../infra/secrets.js';
import { usageError } from '../cli/errors.js';
import type { Kube } from '../kube/client.js';
import { ENV_LABEL, GENERATED_LABEL, type KubeObject } from '../kube/objects.js';

/**
 * Generated credentials: created once in the cluster by the first `qctl up` and reused on every
 * later one (re-generating would lock the API out of the data already on the Postgres PVC).
 * They never appear in synth output or in git. Each key is either a fixed value or a random
 * password; a key the manifests reference that is not listed here stops `up` before anything is
 * applied, so infra/ and this table cannot drift apart silently.
 */
type KeySpec = { value: string } | { random: true };

const grafanaKeys = (SECRETS.grafana as { keys?: { user?: string; password?: string } }).keys;

export const GENERATED_SECRETS: Record<string, Record<string, KeySpec>> = {
  [SECRETS.postgres.name]: {
    [SECRETS.postgres.keys.username]: { value: 'quotes' },
    [SECRETS.postgres.keys.password]: { random: true },
  },
  [SECRETS.redis.name]: {
    [SECRETS.redis.keys.password]: { random: true },
  },
  // Grafana's own convention (and the Grafana Helm chart's): admin-user / admin-password.
  [SECRETS.grafana.name]: {
    [grafanaKeys?.user ?? 'admin-user']: { value: 'admin' },
    [grafanaKeys?.password ?? 'admin-password']: { random: true },
  },
};

export function randomPassword(): string {
  // 32 URL-safe characters: safe inside connection URLs and shell commands.
  return randomBytes(24).toString('base64url');
}

/** secretName -> namespace -> referenced keys (undefined key set = whole Secret via envFrom/volume). */
export type SecretReferences = Map<string, Map<string, Set<string>>>;

/** Finds every Secret reference (secretKeyRef, secretRef, secret volumes) in the objects. */
export function findSecretReferences(objects: KubeObject[]): SecretReferences {
  const refs: SecretReferences = new Map();
  const add = (name: string, namespace: string, key?: string) => {
    const byNamespace = refs.get(name) ?? new Map<string, Set<string>>();
    const keys = byNamespace.get(namespace) ?? new Set<string>();
    if (key) keys.add(key);
    byNamespace.set(namespace, keys);
    refs.set(name, byNamespace);
  };
  const visit = (value: unknown, namespace: string): void => {
    if (Array.isArray(value)) return value.forEach((v) => visit(v, namespace));
    if (!value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const keyRef = record.secretKeyRef as { name?: string; key?: string } | undefined;
    if (keyRef?.name) add(keyRef.name, namespace, keyRef.key);
    const envFrom = record.secretRef as { name?: string } | undefined;
    if (envFrom?.name) add(envFrom.name, namespace);
    const volume = record.secret as { secretName?: string; items?: { key: string }[] } | undefined;
    if (volume?.secretName) {
      add(volume.secretName, namespace);
      for (const item of volume.items ?? []) add(volume.secretName, namespace, item.key);
    }
    for (const child of Object.values(record)) visit(child, namespace);
  };
  for (const object of objects) {
    if (object.metadata.namespace) visit(object.spec, object.metadata.namespace);
  }
  return refs;
}

export type GeneratedSecret = { name: string; namespace: string; action: 'created' | 'reused' | 'completed'; keys: string[] };

/**
 * Checks (before anything is applied) that every key the manifests reference in a generated
 * Secret is one qctl generates.
 */
export function checkGeneratedReferences(refs: SecretReferences): void {
  for (const [name, byNamespace] of refs) {
    const spec = GENERATED_SECRETS[name];
    if (!spec) continue;
    for (const [namespace, keys] of byNamespace) {
      const unknown = [...keys].filter((k) => !(k in spec));
      if (unknown.length) {
        throw usageError(
          `the manifests reference key(s) ${unknown.join(', ')} of Secret ${namespace}/${name}, which qctl does not generate (it generates ${Object.keys(spec).join(', ')}): align infra/ with bin/deploy/credentials.ts`,
        );
      }
    }
  }
}

function decode(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

function encode(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

/**
 * Makes sure each generated Secret the manifests reference exists in each namespace that
 * references it. Existing values are never changed; missing keys are added. The same values
 * are used in every namespace (an exporter in `monitoring` needs the same Postgres password).
 */
export async function ensureGeneratedSecrets(
  kube: Kube,
  refs: SecretReferences,
  options: { env: string; appNamespace: string; dryRun?: boolean },
): Promise<GeneratedSecret[]> {
  const results: GeneratedSecret[] = [];
  for (const [name, spec] of Object.entries(GENERATED_SECRETS)) {
    const namespaces = [...(refs.get(name)?.keys() ?? [])].sort((a, b) =>
      a === options.appNamespace ? -1 : b === options.appNamespace ? 1 : a.localeCompare(b),
    );
    if (namespaces.length === 0) continue;
    const live = await Promise.all(namespaces.map((namespace) => kube.read({ apiVersion: 'v1', kind: 'Secret', namespace, name })));
    // The first existing copy (app namespace first) is the source of truth.
    const existing = live.map((s) => decode(s?.data as Record<string, string> | undefined)).find((d) => Object.keys(d).length > 0) ?? {};
    const values: Record<string, string> = { ...existing };
    for (const [key, keySpec] of Object.entries(spec)) {
      if (values[key] === undefined) values[key] = 'value' in keySpec ? keySpec.value : randomPassword();
    }
    for (const [i, namespace] of namespaces.entries()) {
      const current = decode(live[i]?.data as Record<string, string> | undefined);
      const missing = Object.keys(values).filter((k) => current[k] === undefined);
      const action: GeneratedSecret['action'] = live[i] === undefined ? 'created' : missing.length ? 'completed' : 'reused';
      results.push({ name, namespace, action, keys: Object.keys(values).sort() });
      if (action === 'reused' || options.dryRun) continue;
      await kube.apply({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          namespace,
          labels: {
            'app.kubernetes.io/part-of': 'quotes',
            'app.kubernetes.io/managed-by': 'qctl',
            [ENV_LABEL]: options.env,
            [GENERATED_LABEL]: 'true',
          },
        },
        type: 'Opaque',
        data: encode({ ...values, ...current }),
      });
    }
  }
  return results;
}

/** The user secrets from the env's age file, as the `quote-api-secrets` Secret. */
export function userSecretObject(env: string, namespace: string, entries: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'quote-api-secrets',
      namespace,
      labels: {
        'app.kubernetes.io/name': API_NAME,
        'app.kubernetes.io/component': 'api',
        'app.kubernetes.io/part-of': 'quotes',
        'app.kubernetes.io/managed-by': 'qctl',
        [ENV_LABEL]: env,
      },
    },
    type: 'Opaque',
    data: encode(entries),
  };
}
