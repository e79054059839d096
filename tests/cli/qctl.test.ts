import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../bin/cli/duration.js';
import { FIRST_COMMANDS } from '../../bin/cli/usage.js';
import { COMMANDS, commandsToRegister } from '../../bin/qctl.js';
import { runQctl } from '../helpers/cli.js';

describe('qctl entry point', () => {
  it('prints help and exits 0', async () => {
    const result = await runQctl(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Usage: qctl');
  });

  it('without arguments prints a short usage: the five first commands and where the rest is', async () => {
    const [bare, help] = await Promise.all([runQctl([]), runQctl(['--help'])]);
    expect(bare.exitCode).toBe(0);
    const lines = String(bare.stdout).trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(lines[0]).toBe('Usage: qctl <command> [options]');
    expect(lines.filter((l) => /^ {2}qctl \w+ {2}/.test(l)).map((l) => l.split(/\s+/)[2])).toEqual(['dev', 'seed', 'synth', 'up', 'load']);
    expect(lines.at(-1)).toBe('qctl --help lists every command; qctl <command> --help lists its options.');
    // Every command it names exists.
    for (const [name] of FIRST_COMMANDS) expect(String(help.stdout)).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('rejects an unknown command with exit 2', async () => {
    const result = await runQctl(['definitely-not-a-command']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("unknown command 'definitely-not-a-command'");
  });

  it('prints the version, and a command help names that command', async () => {
    const version = await runQctl(['--version']);
    expect(version.exitCode).toBe(0);
    expect(String(version.stdout).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runQctl(['synth', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: qctl synth [options]');
  });
});

describe('command registration (only what the command line needs is imported)', () => {
  it('registers just the named command, none for --version, all otherwise', () => {
    expect(commandsToRegister(['synth', '--all'])).toEqual(['synth']);
    expect(commandsToRegister(['--version'])).toEqual([]);
    for (const args of [[], ['--help'], ['help', 'synth'], ['synt'], ['--help', 'synth']])
      expect(commandsToRegister(args), args.join(' ')).toEqual(COMMANDS);
  });

  it('the root help lists every command, in the registry order', async () => {
    const help = await runQctl(['--help']);
    const listed = [...String(help.stdout).matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]).filter((name) => name !== 'help');
    expect(listed).toEqual(COMMANDS);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '5 minutes', '10x', '0s', '-1s'])('rejects %j with a message naming the fix', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(/invalid --timeout .*e\.g\. 500ms, 30s, 5m/);
  });

  it.each(['5', '2.5'])('refuses the bare number %j, naming both readings', (text) => {
    expect(() => parseDuration(text, '--duration')).toThrow(
      `invalid --duration "${text}": add a unit, e.g. ${text}s for seconds or ${text}m for minutes (units: ms, s, m, h)`,
    );
  });
});
