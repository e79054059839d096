import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../scope.js';
import { crdModel, crdStamp } from './crd-schemas.js';
import type { RawIssue } from './issue.js';

const require = createRequire(import.meta.url);

/**
 * Objects that passed the schema check before, by content hash, kept between runs in
 * $QCTL_CACHE_DIR (default $XDG_CACHE_HOME/qctl or ~/.cache/qctl). Loading the schema models
 * is most of the validation's cost (hundreds of generated modules), and `qctl synth` mostly
 * re-checks objects that did not change. The file name carries a hash of this module and the
 * schema package versions, so a new validator or new schemas start from an empty record.
 * Only clean results are kept: an object with any issue is checked again every time.
 */
class PassedSchemaRecord {
  private passed?: Set<string>;
  private added = false;
  private file = '';

  has(key: string): boolean {
    return this.load().has(key);
  }

  add(key: string): void {
    this.load().add(key);
    if (!this.added) process.once('exit', () => this.save());
    this.added = true;
  }

  private load(): Set<string> {
    if (!this.passed) {
      const dir = process.env.QCTL_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qctl');
      this.file = join(dir, `schema-passed-${validatorStamp()}.json`);
      try {
        this.passed = new Set(JSON.parse(readFileSync(this.file, 'utf8')) as string[]);
      } catch {
        this.passed = new Set();
      }
    }
    return this.passed;
  }

  /** Best effort (a read-only home just means no cache); write-then-rename so readers never see half a file. */
  private save(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}`;
      writeFileSync(temp, JSON.stringify([...this.passed!]));
      renameSync(temp, this.file);
    } catch {
      // no cache this time
    }
  }
}

function validatorStamp(): string {
  const hash = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url)));
  for (const pkg of ['kubernetes-models', ...Object.values(CRD_MODEL_PACKAGES)]) {
    hash.update(`${pkg}@${(require(`${pkg}/package.json`) as { version: string }).version}`);
  }
  hash.update(crdStamp());
  return hash.digest('hex').slice(0, 16);
}

const passedBefore = new PassedSchemaRecord();

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type ModelClass = { prototype: { validate(this: unknown): void } };

const modelCache = new Map<string, ModelClass | null>();

/** Packages with schemas for custom resources, by API group (same validator as kubernetes-models). */
const CRD_MODEL_PACKAGES: Record<string, string> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/** Groups kubernetes-models ships schemas for: an unknown kind there is a typo, elsewhere a CRD. */
export function isBuiltInGroup(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

/**
 * The model class for apiVersion/kind, loaded on demand (only the schemas this run needs,
 * which keeps `qctl synth` fast). null: kubernetes-models has no schema for it.
 */
function loadModel(apiVersion: string, kind: string): ModelClass | null {
  const key = `${apiVersion}/${kind}`;
  if (modelCache.has(key)) return modelCache.get(key)!;
  let model: ModelClass | null = null;
  if (/^[a-zA-Z0-9.-]+(\/[a-zA-Z0-9]+)?$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    try {
      const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
      const pkg = CRD_MODEL_PACKAGES[group] ?? 'kubernetes-models';
      const module = require(`${pkg}/${apiVersion}/${kind}`) as Record<string, ModelClass>;
      model = module[kind] ?? null;
    } catch {
      model = null;
    }
  }
  modelCache.set(key, model);
  return model;
}

/**
 * Schema validation with the kubernetes-models validator, plus the unknown-field check it
 * lacks (like `kubectl apply --validate=strict`). The validator is run on a proxy of the
 * object that records which properties the compiled schema looks up at each level: a schema
 * with `properties` reads every one of them, a map (`additionalProperties`) enumerates its
 * keys, a free-form object reads nothing. So an own key the schema never read, on an object
 * whose schema has properties, is a field the schema does not define.
 */
export function checkSchema(object: KubeObject): RawIssue[] {
  const key = createHash('sha256')
    .update(JSON.stringify(object) ?? 'undefined')
    .digest('base64url');
  if (passedBefore.has(key)) return [];
  const issues = checkSchemaNow(object);
  if (issues.length === 0) passedBefore.add(key);
  return issues;
}

function checkSchemaNow(object: KubeObject): RawIssue[] {
  const apiVersion = typeof object?.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object?.kind === 'string' ? object.kind : '';
  const crd = crdModel(apiVersion, kind);
  if (crd && 'issue' in crd) return [crd.issue];
  const model = crd?.model ?? loadModel(apiVersion, kind);
  if (!model) {
    if (isBuiltInGroup(apiVersion)) {
      return [
        {
          rule: 'schema',
          path: 'kind',
          message: `no Kubernetes schema for apiVersion "${apiVersion}" kind "${kind}"`,
          fix: 'check the spelling of apiVersion and kind (e.g. apps/v1 Deployment, autoscaling/v2 HorizontalPodAutoscaler)',
        },
      ];
    }
    return [
      {
        rule: 'schema',
        severity: 'warning',
        path: 'kind',
        message: `no bundled schema for custom resource ${apiVersion} ${kind}; schema and unknown-field checks skipped`,
        fix: 'make sure the CRD is installed in the cluster (e.g. kube-prometheus-stack for ServiceMonitor)',
      },
    ];
  }

  const reads = new Map<object, Set<PropertyKey>>();
  const enumerated = new Set<object>();
  const proxies = new Map<object, object>();
  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    let proxy = proxies.get(value);
    if (!proxy) {
      proxy = new Proxy(value, {
        get(target, prop) {
          if (!Array.isArray(target)) {
            let set = reads.get(target);
            if (!set) reads.set(target, (set = new Set()));
            set.add(prop);
          }
          return wrap(Reflect.get(target, prop));
        },
        ownKeys(target) {
          enumerated.add(target);
          return Reflect.ownKeys(target);
        },
      });
      proxies.set(value, proxy);
    }
    return proxy;
  };

  const issues: RawIssue[] = [];
  try {
    model.prototype.validate.call(wrap(object));
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors;
    if (!errors) throw error;
    issues.push(...describeSchemaErrors(errors));
  }

  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${path}[${index}]`));
      return;
    }
    const seen = reads.get(value);
    if (enumerated.has(value) || !seen) {
      // A map or free-form object: its values may still be schema objects the validator visited.
      for (const [key, child] of Object.entries(value)) walk(child, joinPath(path, key));
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (!seen.has(key)) {
        issues.push({
          rule: 'unknown-field',
          path: joinPath(path, key),
          message: `unknown field "${key}" (kubectl apply --validate=strict rejects it)`,
          fix: `remove it or correct the spelling; known fields here: ${[...seen]
            .filter((k) => typeof k === 'string')
            .sort()
            .join(', ')}`,
        });
        continue;
      }
      walk(child, joinPath(path, key));
    }
  };
  walk(object, '');
  return issues;
}

function joinPath(path: string, key: string): string {
  const segment = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : `["${key}"]`;
  if (!path) return segment.startsWith('[') ? segment : segment;
  return segment.startsWith('[') ? `${path}${segment}` : `${path}.${segment}`;
}

export function pointerToPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = /^\d+$/.test(part) ? `${path}[${part}]` : joinPath(path, part);
  }
  return path;
}

/** One issue per field path, with the validator's messages and a fix for the keyword. */
function describeSchemaErrors(errors: AjvError[]): RawIssue[] {
  const byPath = new Map<string, AjvError[]>();
  for (const error of errors) {
    let path = pointerToPath(error.instancePath);
    if (error.keyword === 'required') path = joinPath(path, String(error.params.missingProperty));
    byPath.set(path, [...(byPath.get(path) ?? []), error]);
  }
  return [...byPath.entries()].map(([path, list]) => {
    // int-or-string fields fail both branches of a oneOf: say it once.
    // A quantity fails its number branch and its string format: the format is what to fix.
    const format = list.find((e) => e.keyword === 'format');
    if (format) {
      return {
        rule: 'schema',
        path,
        message: `must be a valid ${String(format.params.format)}`,
        fix: `use a valid ${String(format.params.format)} value (e.g. 250m or 512Mi for quantities)`,
      };
    }
    const intOrString =
      list.some((e) => e.keyword === 'oneOf') ||
      (list.some((e) => e.params.type === 'string') && list.some((e) => e.params.type === 'integer'));
    const messages = [...new Set(list.filter((e) => e.keyword !== 'oneOf').map((e) => e.message ?? e.keyword))];
    const first = list[0]!;
    let fix: string;
    if (intOrString) fix = 'use an integer or a string (e.g. a port number or a port name)';
    else if (first.keyword === 'required') fix = `add the required field ${String(first.params.missingProperty)}`;
    else if (first.keyword === 'type') fix = `make it ${String(first.params.type)}`;
    else if (first.keyword === 'enum')
      fix = `use one of ${(first.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    else fix = 'correct the value to match the Kubernetes API schema';
    const message = intOrString ? 'must be an integer or a string' : messages.join('; ');
    return { rule: 'schema', path, message, fix };
  });
}
