import type { EnvironmentName } from './environments.js';

export const PART_OF = 'quotes';
export const MANAGED_BY = 'qctl';
export const ENV_LABEL = 'qctl.dev/env';

export type Labels = Record<string, string>;

/** The full label set every object carries (brief: app.kubernetes.io/* + qctl.dev/env). */
export function standardLabels(env: EnvironmentName, name: string, component: string): Labels {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': `${PART_OF}-${env}`,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [ENV_LABEL]: env,
  };
}

/**
 * The subset used in selectors. Selectors of Deployments and StatefulSets are immutable, so
 * they hold only labels that never change for the life of the workload.
 */
export function selectorLabels(env: EnvironmentName, name: string): Labels {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': `${PART_OF}-${env}`,
  };
}
