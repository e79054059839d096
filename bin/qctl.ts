import { Command, CommanderError } from '@commander-js/extra-typings';
import { exitWithError } from './cli/errors.js';
import { exitQuietlyOnClosedPipe } from './cli/output.js';
import { shortUsage } from './cli/usage.js';

type CommandModule = { register(program: Command): void };

/**
 * Each command lives in bin/commands/<name>.ts and exports `register(program)`. Each loader is a
 * literal import() so the CLI bundle (scripts/bundle-cli.mjs) puts every command in its own chunk.
 * Command modules import their heavy dependencies lazily inside the action, so `qctl --help`
 * and every command start fast.
 */
const COMMAND_MODULES: Record<string, () => Promise<CommandModule>> = {
  seed: () => import('./commands/seed.js'),
  load: () => import('./commands/load.js'),
  dev: () => import('./commands/dev.js'),
  synth: () => import('./commands/synth.js'),
  validate: () => import('./commands/validate.js'),
  up: () => import('./commands/up.js'),
  promote: () => import('./commands/promote.js'),
  abort: () => import('./commands/abort.js'),
  down: () => import('./commands/down.js'),
  status: () => import('./commands/status.js'),
  diff: () => import('./commands/diff.js'),
  doctor: () => import('./commands/doctor.js'),
  secrets: () => import('./commands/secrets.js'),
};

export const COMMANDS: string[] = Object.keys(COMMAND_MODULES);

/**
 * The command modules a command line needs: `qctl synth ...` only synth's, `qctl --version`
 * none; anything else (no command, `help`, an unknown name, options first) every one, so the
 * root help and commander's "did you mean" see them all.
 */
export function commandsToRegister(args: string[]): string[] {
  if (args.length > 0 && args.every((arg) => arg === '--version' || arg === '-V')) return [];
  const [first] = args;
  return first !== undefined && COMMANDS.includes(first) ? [first] : COMMANDS;
}

/** The program with the commands `args` (the arguments after `qctl`) needs; all of them by default. */
export async function buildProgram(args: string[] = []): Promise<Command> {
  const program = new Command('qctl')
    .description('Ship the quote API to Kubernetes: run it locally, synthesize manifests, deploy, seed and load-check.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const names = commandsToRegister(args);
  // Loaded together: module loading overlaps instead of running one file after another.
  const modules = await Promise.all(names.map((name) => COMMAND_MODULES[name]!()));
  for (const module of modules) module.register(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  exitQuietlyOnClosedPipe();
  if (argv.length <= 2) {
    process.stdout.write(shortUsage());
    return 0;
  }
  const program = await buildProgram(argv.slice(2));
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // commander already printed its message (or the help/version text).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return exitWithError(error);
  }
}
