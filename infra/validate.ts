import { readdirSync, readFileSync, statSync } from 'node:fs';
import { InfraUsageError } from './errors.js';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './scope.js';
import type { ValidationIssue } from './validation/issue.js';
import { podSpecRules } from './validation/pod-values.js';
import { crossObjectRules } from './validation/rules.js';
import { routeRules } from './validation/route-rules.js';
import { checkSchema } from './validation/schema.js';
import { objectValueRules } from './validation/values.js';

export { formatIssue, type Severity, type ValidationIssue } from './validation/issue.js';

export interface ValidateOptions {
  /** Source file of each object (parallel to `objects`), named in the issues. */
  files?: Array<string | undefined>;
}

/**
 * Validates objects the way the API server would (kubernetes-models schemas, strict unknown
 * fields, the value rules of names, labels, ports, resources, probes, selectors) plus qctl's
 * cross-object rules. Errors fail `qctl synth`/`validate`; warnings do not.
 */
export function validateObjects(objects: KubeObject[], options: ValidateOptions = {}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const identify = (index: number) => {
    const object = objects[index] as Partial<KubeObject> | undefined;
    return {
      file: options.files?.[index],
      kind: typeof object?.kind === 'string' ? object.kind : '(no kind)',
      namespace: object?.metadata?.namespace,
      name: object?.metadata?.name ?? '(no name)',
    };
  };
  objects.forEach((object, index) => {
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      issues.push({
        severity: 'error',
        rule: 'schema',
        ...identify(index),
        path: '',
        message: 'document is not a Kubernetes object',
        fix: 'each YAML document must be a mapping with apiVersion, kind and metadata',
      });
      return;
    }
    for (const raw of checkSchema(object)) issues.push({ severity: raw.severity ?? 'error', ...identify(index), ...withoutSeverity(raw) });
  });
  const valid = objects.map((o, index) => ({ o, index })).filter(({ o }) => o !== null && typeof o === 'object' && !Array.isArray(o));
  const checked = valid.map(({ o }) => o);
  for (const finding of [...crossObjectRules(checked), ...routeRules(checked), ...podSpecRules(checked), ...objectValueRules(checked)]) {
    const { index, ...raw } = finding;
    issues.push({ severity: raw.severity ?? 'error', ...identify(valid[index]!.index), ...withoutSeverity(raw) });
  }
  return issues;
}

function withoutSeverity<T extends { severity?: unknown; index?: unknown }>(raw: T): Omit<T, 'severity' | 'index'> {
  const { severity: _severity, index: _index, ...rest } = raw;
  return rest;
}

/** validateObjects over files, naming each issue's file. */
export function validateFiles(files: Array<{ name: string; objects: KubeObject[] }>): ValidationIssue[] {
  return validateObjects(
    files.flatMap((file) => file.objects),
    { files: files.flatMap((file) => file.objects.map(() => file.name)) },
  );
}

export function hasErrors(issues: ValidationIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'error');
}

/**
 * Reads a YAML file or every *.yaml/*.yml file under a directory (sorted, recursive).
 * YAML syntax errors become issues rather than exceptions, so one bad file does not hide others.
 */
/** Largest YAML file `qctl validate` reads. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export function readManifests(path: string): { files: Array<{ name: string; objects: KubeObject[] }>; issues: ValidationIssue[] } {
  const stat = statSync(path);
  const paths = stat.isDirectory() ? listYaml(path) : [path];
  const files: Array<{ name: string; objects: KubeObject[] }> = [];
  const issues: ValidationIssue[] = [];
  for (const file of paths) {
    // Named as the user can find them: the given path, or the given directory joined with the file.
    const name = file;
    // A FIFO or device would hang or exhaust memory; a manifest is never this large.
    const info = statSync(file);
    if (!info.isFile()) throw new InfraUsageError(`${file} is not a regular file: pass YAML files or directories, e.g. dist/prod`);
    if (info.size > MAX_MANIFEST_BYTES) {
      throw new InfraUsageError(
        `${file} is ${Math.round(info.size / 1048576)} MiB, over the ${MAX_MANIFEST_BYTES / 1048576} MiB limit for a manifest file: split it`,
      );
    }
    const documents = parseAllDocuments(readFileSync(file, 'utf8'));
    const objects: KubeObject[] = [];
    documents.forEach((document, i) => {
      if (document.errors.length > 0) {
        issues.push(yamlIssue(name, i, document.errors[0]!.message, 'fix the YAML syntax'));
        return;
      }
      let value: unknown;
      try {
        value = document.toJS();
      } catch (error) {
        // e.g. an alias bomb ("Excessive alias count"): refused by the parser, reported like a syntax error.
        issues.push(yamlIssue(name, i, (error as Error).message, 'fix the YAML (aliases must not expand without bound)'));
        return;
      }
      if (value === null || value === undefined) return;
      // `kubectl get -o yaml` output wraps objects in a v1 List: check its items.
      const list = value as { kind?: unknown; items?: unknown };
      if (list.kind === 'List' && Array.isArray(list.items)) objects.push(...(list.items as KubeObject[]));
      else objects.push(value as KubeObject);
    });
    files.push({ name, objects });
  }
  return { files, issues };
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listYaml(full));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** A YAML document the parser refused, named by its file and position. */
function yamlIssue(file: string, index: number, message: string, fix: string): ValidationIssue {
  return {
    severity: 'error',
    rule: 'yaml',
    file,
    kind: '(document)',
    name: `#${index + 1}`,
    path: '',
    message: message.split('\n')[0]!,
    fix,
  };
}
