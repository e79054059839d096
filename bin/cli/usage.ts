/** Commands a newcomer starts with, in the order they usually run them. */
export const FIRST_COMMANDS: Array<[name: string, what: string]> = [
  ['dev', 'the quote API locally on embedded Postgres, http://127.0.0.1:8080'],
  ['seed', 'load quotes and their embeddings into a database'],
  ['synth', 'Kubernetes YAML for an environment, validated, into dist/<env>/'],
  ['up', 'build, ship and apply to a cluster, wait, print the URLs'],
  ['load', 'load-check a deployment against SLOs'],
];

/** What a bare `qctl` prints: a screenful of help is too much to find the first step in. */
export function shortUsage(): string {
  const width = Math.max(...FIRST_COMMANDS.map(([name]) => name.length));
  return [
    'Usage: qctl <command> [options]',
    '',
    'Start with:',
    ...FIRST_COMMANDS.map(([name, what]) => `  qctl ${name.padEnd(width)}  ${what}`),
    '',
    'qctl --help lists every command; qctl <command> --help lists its options.',
    '',
  ].join('\n');
}
