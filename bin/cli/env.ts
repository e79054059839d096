import { ENVIRONMENT_NAMES, isEnvironmentName, type EnvironmentName } from '../../infra/environment-names.js';
import { usageError } from './errors.js';

/**
 * --env: a known environment name (default dev). Kept apart from deploy/session.ts so that
 * commands which only need the name (qctl secrets) do not load the Kubernetes client.
 */
export function parseEnv(env: string | undefined): EnvironmentName {
  const name = env ?? 'dev';
  if (!isEnvironmentName(name)) throw usageError(`unknown environment "${name}": use --env ${ENVIRONMENT_NAMES.join('|')}`);
  return name;
}
