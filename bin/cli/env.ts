import { assertEnvironmentName, type EnvironmentName } from '../../infra/environment-names.js';

/**
 * --env: a known environment name (default dev), checked by infra's one rule. Kept apart from
 * deploy/session.ts so that commands which only need the name (qctl secrets) do not load the
 * Kubernetes client.
 */
export function parseEnv(env: string | undefined): EnvironmentName {
  return assertEnvironmentName(env ?? 'dev');
}
