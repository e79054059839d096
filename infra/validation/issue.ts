/** Manifest JSON as the rules walk it: any object, any field (the schemas have checked the shapes). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rules read arbitrary, already schema-checked manifests
export type Json = Record<string, any>;

export type Severity = 'error' | 'warning';

/** One finding, naming the file, the object, the field and what to do. */
export interface ValidationIssue {
  severity: Severity;
  /** e.g. schema, unknown-field, service-selector, container-resources, network-policy-coverage */
  rule: string;
  file?: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Field path inside the object, e.g. spec.template.spec.containers[0].resources.limits */
  path: string;
  message: string;
  fix: string;
}

/** An issue before it is attached to its object and file. */
export interface RawIssue {
  rule: string;
  severity?: Severity;
  path: string;
  message: string;
  fix: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const object = `${issue.kind} ${issue.namespace ? `${issue.namespace}/` : ''}${issue.name}`;
  const where = issue.file ? `${issue.file}: ` : '';
  const level = issue.severity === 'warning' ? 'warning: ' : '';
  return `${where}${level}${object}: ${issue.path || '(object)'}: ${issue.message} [${issue.rule}] — fix: ${issue.fix}`;
}
