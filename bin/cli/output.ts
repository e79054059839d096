import { usageError } from './errors.js';
import { safeForTerminal } from './safe-text.js';

export type OutputMode = 'text' | 'json';

export function parseOutputMode(value: string | undefined): OutputMode {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw usageError(`unknown --output "${value}": use text or json`);
}

/** True where nobody can answer a prompt or watch a spinner: CI=true or no TTY. */
export function isNonInteractive(stream: NodeJS.WriteStream = process.stdout): boolean {
  const ci = process.env.CI;
  return (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') || !stream.isTTY;
}

/**
 * Text for people on stdout (status, diff, doctor, reports). It quotes what servers, pods and
 * files said (pod messages, events, error texts, URLs), so it passes the same last step as
 * errors and warnings: credentials redacted, control characters escaped, line breaks kept.
 */
export function printText(text: string): void {
  process.stdout.write(safeForTerminal(text));
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * `qctl ... | head -1`: once the reader has gone, further output has nowhere to go. Exit quietly
 * instead of printing an EPIPE stack trace.
 */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

/** Settings that were set but do nothing (infra's SynthResult.ignored): one warning line each, on stderr. */
export function warnIgnoredSettings(lines: readonly string[]): void {
  for (const line of lines) process.stderr.write(`qctl: warning: ${safeForTerminal(line)}\n`);
}
