import { Testing } from 'cdk8s';
import { ManifestScope, type KubeObject } from '../../../infra/scope.js';

/** Runs one chart builder on a fresh scope and returns each named file's objects through cdk8s' Testing.synth(). */
export function synthChart(build: (scope: ManifestScope) => void, ...files: string[]): KubeObject[][] {
  const scope = new ManifestScope();
  build(scope);
  return files.map((file) => Testing.synth(scope.file(file)) as KubeObject[]);
}

/** The one object of `kind` (and `name`, when given). */
export function only(objects: KubeObject[], kind: string, name?: string): KubeObject & { spec?: any; data?: any } {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

export const PROPS = { env: 'dev', namespace: 'quotes-test' } as const;
