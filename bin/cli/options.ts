import { Option } from '@commander-js/extra-typings';

/**
 * The options several commands share, declared once so that every command spells and explains
 * them the same way. Each call makes a fresh Option (commander keeps a reference per command).
 * Commands read their option types from these declarations (@commander-js/extra-typings), so
 * a misspelt option is a compile error, not an undefined at run time.
 */

/** Commander argument parser for a repeatable option: each use appends to the list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const envOption = () => new Option('--env <env>', 'environment: dev | staging | prod').default('dev');

/** qctl load has no default environment: without --env it targets a URL or what `qctl dev` serves. */
export const targetEnvOption = () => new Option('--env <env>', 'environment: dev | staging | prod');

/** `defaults`: where the flavour comes from when --cluster is not given; cluster commands remember it per environment. */
export const clusterOption = (defaults = 'the one qctl up last used for --env, else microk8s') =>
  new Option('--cluster <flavour>', `cluster flavour: microk8s | kind | minikube | k3d | docker-desktop | generic (default: ${defaults})`);

export const contextOption = () =>
  new Option(
    '--context <name>',
    'kubeconfig context (default: the one qctl up last used for --env, else one from the kubeconfig that matches the cluster)',
  );

/** The deadline of each waited object of an apply (up, promote, abort). */
export const timeoutOption = () =>
  new Option('--timeout <duration>', 'deadline per waited object, e.g. 90s, 5m (at most 24h)').default('5m');

export const outputOption = () => new Option('--output <mode>', 'text or json').default('text');

export const setOption = () =>
  new Option('--set <key=value>', 'override an environment setting, e.g. api.replicas=2 (repeatable)')
    .argParser(collect)
    .default([] as string[]);

export const monitoringOption = () =>
  new Option('--monitoring <mode>', 'self | operator | none (default: qctl.config.ts monitoring, else self)');

/** The parsed options of a command, typed from the function that declares it: `OptionsOf<typeof declare>`. */
export type OptionsOf<Declare extends (...args: never[]) => { opts(): unknown }> = ReturnType<ReturnType<Declare>['opts']>;
