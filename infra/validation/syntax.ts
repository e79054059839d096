/**
 * The value syntaxes of the Kubernetes API (k8s.io/apimachinery validation and
 * resource.Quantity), which the OpenAPI schemas do not carry: the API server rejects a bad
 * name or label value on apply, long after `qctl synth` said the manifests were valid.
 * Each check returns null when the value is fine, else what is wrong with it.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export function dns1123Label(value: string): string | null {
  if (value.length > 63) return `is ${value.length} characters long (at most 63)`;
  return DNS1123_LABEL.test(value) ? null : 'must be lowercase letters, digits and "-", starting and ending with a letter or digit';
}

export function dns1123Subdomain(value: string): string | null {
  if (value.length > 253) return `is ${value.length} characters long (at most 253)`;
  return DNS1123_SUBDOMAIN.test(value)
    ? null
    : 'must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit';
}

/** Service names become DNS labels of environment variables too, so they must start with a letter. */
export function dns1035Label(value: string): string | null {
  if (value.length > 63) return `is ${value.length} characters long (at most 63)`;
  return DNS1035_LABEL.test(value)
    ? null
    : 'must be lowercase letters, digits and "-", starting with a letter and ending with a letter or digit';
}

/** RBAC object names only need to be usable as a URL path segment (e.g. `system:metrics`). */
export function pathSegmentName(value: string): string | null {
  if (value === '.' || value === '..') return 'may not be "." or ".."';
  return /[/%]/.test(value) ? 'may not contain "/" or "%"' : null;
}

/** A label or annotation key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
export function qualifiedName(key: string): string | null {
  const parts = key.split('/');
  if (parts.length > 2) return 'may contain at most one "/" (prefix/name)';
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefixProblem = parts[0] === '' ? 'is empty' : dns1123Subdomain(parts[0]!);
    if (prefixProblem) return `has a prefix that ${prefixProblem}`;
  }
  if (name.length === 0) return 'has an empty name part';
  if (name.length > 63) return `has a name part of ${name.length} characters (at most 63)`;
  return QUALIFIED_NAME.test(name)
    ? null
    : 'must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit (after an optional prefix/)';
}

export function labelValue(value: string): string | null {
  if (value.length > 63) return `is ${value.length} characters long (at most 63)`;
  if (value === '') return null;
  return QUALIFIED_NAME.test(value)
    ? null
    : 'must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit (or empty)';
}

/** Container port names (IANA service names): a Service's targetPort refers to them. */
export function portName(value: string): string | null {
  if (value.length > 15) return `is ${value.length} characters long (at most 15)`;
  if (!IANA_SVC_NAME.test(value)) return 'must be lowercase letters, digits and "-", starting and ending with a letter or digit';
  if (value.includes('--')) return 'may not contain "--"';
  return /[a-z]/.test(value) ? null : 'must contain at least one letter';
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const SUFFIX_SCALE: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * A resource quantity ("250m", "1.5", "512Mi", "1e3", or a YAML number) in base units, or
 * null when the API server would not parse it. Precision is a float's, which is plenty for
 * comparing requests with limits.
 */
export function parseQuantity(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const match = QUANTITY.exec(value);
  if (!match) return null;
  const [, sign, digits, suffix = ''] = match;
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX_SCALE[suffix]!;
  return (sign === '-' ? -1 : 1) * Number(digits) * scale;
}

/** Port numbers: 1-65535 wherever the API takes one. */
export function portNumber(value: unknown): string | null {
  if (typeof value !== 'number') return null; // names, and wrong types the schema reports
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? null : `${value} is not a port number (1-65535)`;
}
