import type { SynthContext } from '../context.js';
import type { EnvironmentName } from '../environments.js';
import { selectorLabels, standardLabels, type Labels } from '../labels.js';
import type { EnvironmentSettings } from '../settings-schema.js';

/**
 * What every chart builder is told about where its objects go: the environment (for the
 * standard labels and selectors) and the namespace. The rest of a builder's props is its own,
 * small and typed, with defaults documented on each field (like cdk8s-plus's DeploymentProps);
 * unset fields take the base settings of infra/environments.ts.
 */
export interface StackProps {
  env: EnvironmentName;
  /** Namespace of the objects, e.g. `quotes-dev`. */
  namespace: string;
}

export type ResourceSettings = EnvironmentSettings['api']['resources'];

export function labelsFor(props: StackProps, name: string, component: string): Labels {
  return standardLabels(props.env, name, component);
}

export function selectorFor(props: StackProps, name: string): Labels {
  return selectorLabels(props.env, name);
}

/** The environment and namespace of a synth context, for the builders' props. */
export function stackPropsFrom(ctx: SynthContext): StackProps {
  return { env: ctx.env.name, namespace: ctx.namespace };
}

/** The in-cluster DNS name of a Service. */
export function inClusterHost(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}
