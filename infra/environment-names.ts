import { InfraUsageError } from './errors.js';

// Apart from environments.ts (and so from the settings schema and zod): the CLI checks names and
// a cached synth (synth-cache.ts) runs without loading those.
export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export function isEnvironmentName(name: string): name is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(name);
}

export function assertEnvironmentName(name: string): EnvironmentName {
  if (!isEnvironmentName(name)) {
    throw new InfraUsageError(`unknown environment "${name}": use one of ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  return name;
}

export function namespaceFor(env: EnvironmentName): string {
  return `quotes-${env}`;
}
