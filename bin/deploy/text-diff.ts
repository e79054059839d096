import { stringify } from 'yaml';
import type { KubeObject } from '../kube/objects.js';

const SERVER_FIELDS = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];
const SERVER_ANNOTATIONS = ['deployment.kubernetes.io/revision', 'kubectl.kubernetes.io/last-applied-configuration'];

/** The object without what the server writes on its own (status, bookkeeping metadata). */
export function normalizeForDiff(object: KubeObject | undefined): unknown {
  if (!object) return null;
  const { status: _status, ...rest } = structuredClone(object);
  const metadata = { ...rest.metadata };
  for (const field of SERVER_FIELDS) delete metadata[field];
  if (metadata.annotations) {
    const annotations = { ...metadata.annotations };
    for (const key of SERVER_ANNOTATIONS) delete annotations[key];
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
  }
  return sortKeys({ ...rest, metadata });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/** Secret values are never printed: data keys are kept, values replaced by a hash-free marker. */
export function redactSecret(object: unknown, kind: string): unknown {
  if (kind !== 'Secret' || !object || typeof object !== 'object') return object;
  const copy = { ...(object as Record<string, unknown>) };
  for (const field of ['data', 'stringData']) {
    const data = copy[field] as Record<string, string> | undefined;
    if (data) copy[field] = Object.fromEntries(Object.keys(data).map((k) => [k, `(${data[k]!.length} bytes)`]));
  }
  return copy;
}

export function differs(live: KubeObject | undefined, desired: KubeObject): boolean {
  return JSON.stringify(normalizeForDiff(live)) !== JSON.stringify(normalizeForDiff(desired));
}

/** A unified-style line diff of two YAML renderings (LCS; objects are small). */
export function yamlDiff(live: KubeObject | undefined, next: KubeObject, kind: string): string[] {
  const toLines = (o: unknown) => (o === null ? [] : stringify(redactSecret(o, kind)).trimEnd().split('\n'));
  const a = toLines(normalizeForDiff(live));
  const b = toLines(normalizeForDiff(next));
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: { sign: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ sign: ' ', line: a[i++]! });
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) out.push({ sign: '+', line: b[j++]! });
    else out.push({ sign: '-', line: a[i++]! });
  }
  // Keep two lines of context around each change.
  const keep = new Set<number>();
  out.forEach((entry, index) => {
    if (entry.sign !== ' ') for (let k = index - 2; k <= index + 2; k++) keep.add(k);
  });
  const lines: string[] = [];
  let last = -1;
  out.forEach((entry, index) => {
    if (!keep.has(index)) return;
    if (last >= 0 && index > last + 1) lines.push('  ...');
    lines.push(`${entry.sign} ${entry.line}`);
    last = index;
  });
  return lines;
}
