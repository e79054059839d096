import { Command, CommanderError } from 'commander';
import { QctlError } from './cli/errors.js';
import { exitQuietlyOnClosedPipe } from './cli/output.js';
import { shortUsage } from './cli/usage.js';

/**
 * Each command lives in bin/commands/<name>.ts and exports `register(program)`.
 * Command modules import their heavy dependencies lazily inside the action, so
 * `qctl --help` and every command start fast.
 */
const COMMANDS: string[] = ['seed', 'load', 'dev', 'synth', 'validate', 'up', 'down', 'status', 'diff', 'doctor', 'secrets'];

export async function buildProgram(): Promise<Command> {
  const program = new Command('qctl')
    .description('Ship the quote API to Kubernetes: run it locally, synthesize manifests, deploy, seed and load-check.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const name of COMMANDS) {
    const module = (await import(`./commands/${name}.js`)) as { register(program: Command): void };
    module.register(program);
  }
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  exitQuietlyOnClosedPipe();
  if (argv.length <= 2) {
    process.stdout.write(shortUsage());
    return 0;
  }
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or the help/version text).
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof QctlError) {
      process.stderr.write(`qctl: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`qctl: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
