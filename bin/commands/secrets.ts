import type { Command } from 'commander';

type EnvFlag = { env?: string; output?: string; allowEmpty?: boolean };

async function env(flags: EnvFlag): Promise<string> {
  const { parseEnv } = await import('../cli/env.js');
  return parseEnv(flags.env);
}

export function register(program: Command): void {
  const secrets = program
    .command('secrets')
    .description('Manage the age-encrypted user secrets of an environment (secrets/<env>.env.age): OPENAI_API_KEY, API_TOKEN, ...')
    .addHelpText(
      'after',
      `
Identity (private key): QCTL_AGE_KEY (the key or a path to a key file), else ~/.config/qctl/age.txt.
Recipients (public keys) who can decrypt: secrets/recipients.txt, committed with the encrypted files.

Examples:
  qctl secrets init --env dev
  printf %s "$OPENAI_API_KEY" | qctl secrets set OPENAI_API_KEY --env dev
  qctl secrets import .env --env dev && rm .env
  qctl secrets list --env prod --output json`,
    );
  const lazy = () => import('../secrets/commands.js');
  secrets
    .command('init')
    .description('create your age identity (if none), add your recipient to secrets/recipients.txt, create the env file')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--output <mode>', 'text or json', 'text')
    .action(async (flags: EnvFlag) => {
      process.exitCode = await (await lazy()).secretsInit(process.cwd(), await env(flags), flags.output);
    });
  secrets
    .command('set <key> [value]')
    .description('set a key (the value from the argument, else stdin, else a prompt)')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--allow-empty', 'store an empty value (refused otherwise: an unset variable piped in is a mistake)')
    .action(async (key: string, value: string | undefined, flags: EnvFlag) => {
      process.exitCode = await (await lazy()).secretsSet(process.cwd(), await env(flags), key, value, flags.allowEmpty === true);
    });
  secrets
    .command('unset <key>')
    .description('remove a key')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .action(async (key: string, flags: EnvFlag) => {
      process.exitCode = await (await lazy()).secretsUnset(process.cwd(), await env(flags), key);
    });
  secrets
    .command('list')
    .description('list the keys (never the values)')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .option('--output <mode>', 'text or json', 'text')
    .action(async (flags: EnvFlag) => {
      process.exitCode = await (await lazy()).secretsList(process.cwd(), await env(flags), flags.output);
    });
  secrets
    .command('edit')
    .description('decrypt into $VISUAL/$EDITOR (a private temp file, removed on every exit), validate, re-encrypt if changed')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .action(async (flags: EnvFlag) => {
      process.exitCode = await (await lazy()).secretsEdit(process.cwd(), await env(flags));
    });
  secrets
    .command('import <file>')
    .description('import a plain .env file once (keys merge over existing ones); delete the plain file afterwards')
    .option('--env <env>', 'dev | staging | prod', 'dev')
    .action(async (file: string, flags: EnvFlag) => {
      process.exitCode = await (await lazy()).secretsImport(process.cwd(), await env(flags), file);
    });
}
