import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as abort from '../../bin/commands/abort.js';
import * as dev from '../../bin/commands/dev.js';
import * as diff from '../../bin/commands/diff.js';
import * as doctor from '../../bin/commands/doctor.js';
import * as down from '../../bin/commands/down.js';
import * as load from '../../bin/commands/load.js';
import * as promote from '../../bin/commands/promote.js';
import * as secrets from '../../bin/commands/secrets.js';
import * as seed from '../../bin/commands/seed.js';
import * as status from '../../bin/commands/status.js';
import * as synth from '../../bin/commands/synth.js';
import * as up from '../../bin/commands/up.js';
import * as validate from '../../bin/commands/validate.js';
import type { UpOptions } from '../../bin/up/up.js';
import { COMMANDS } from '../../bin/qctl.js';

const MODULES = { abort, dev, diff, doctor, down, load, promote, secrets, seed, status, synth, up, validate };

/** Every (sub)command, e.g. `secrets init`. */
function commandsOf(command: CommandUnknownOpts, prefix = ''): Array<[string, CommandUnknownOpts]> {
  return command.commands.flatMap((sub) => {
    const name = `${prefix}${sub.name()}`;
    return [[name, sub] as [string, CommandUnknownOpts], ...commandsOf(sub, `${name} `)];
  });
}

describe('shared CLI options', () => {
  it('are declared once: every command that takes one explains it in the same words', () => {
    expect(Object.keys(MODULES).sort()).toEqual([...COMMANDS].sort());
    const program = new Command('qctl');
    for (const module of Object.values(MODULES)) module.register(program);
    const descriptions = new Map<string, Map<string, string[]>>();
    for (const [name, command] of commandsOf(program)) {
      for (const option of command.options) {
        if (!['--env', '--context', '--output', '--set', '--monitoring'].includes(option.long ?? '')) continue;
        const texts = descriptions.get(option.long!) ?? new Map<string, string[]>();
        texts.set(option.description, [...(texts.get(option.description) ?? []), name]);
        descriptions.set(option.long!, texts);
      }
    }
    for (const [flag, texts] of descriptions) expect([...texts.keys()], flag).toHaveLength(1);
    // The context flag is the same everywhere, qctl load included.
    expect([...descriptions.get('--context')!.values()][0]).toEqual(
      expect.arrayContaining(['up', 'diff', 'down', 'status', 'doctor', 'load']),
    );
    expect([...descriptions.get('--env')!.values()][0]).toEqual(expect.arrayContaining(['up', 'synth', 'load', 'secrets init']));
  });

  it('give typed option objects: defaults are present, flags are optional, a misspelt one does not compile', () => {
    expectTypeOf<UpOptions['timeout']>().toEqualTypeOf<string>();
    // --env, --cluster and --context reach the engine parsed, as one target (bin/commands/up.ts).
    expectTypeOf<UpOptions['target']['env']>().toEqualTypeOf<'dev' | 'staging' | 'prod'>();
    expectTypeOf<UpOptions['set']>().toEqualTypeOf<string[]>();
    expectTypeOf<UpOptions['target']['context']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UpOptions>().not.toHaveProperty('skipBiuld');
    expectTypeOf<UpOptions>().toHaveProperty('skipBuild');
  });
});
