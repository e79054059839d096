// "Parse once at the edge" (docs/architecture.md): the flag parsers are called by the commands
// (and by the library's own edges: synthesize(), the cdk8s app), never again by the engines
// below them, which receive typed values (DeployTarget, SynthChoices, EnvironmentName).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/quotes-fixture.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The files that call `name(` (its definition excluded), relative to the repository. */
function callersOf(name: string): string[] {
  const call = new RegExp(`(?<!function )\\b${name}\\(`);
  return ['bin', 'infra']
    .flatMap((dir) => sourceFiles(repoPath(dir)))
    .filter((file) => call.test(readFileSync(file, 'utf8')))
    .map((file) => relative(repoPath(), file))
    .sort();
}

const COMMAND = /^bin\/commands\/[a-z-]+\.ts$/;

describe('flags are parsed once, at the edge', () => {
  it('the environment name: by --env (bin/cli/env.ts) and the library edges only', () => {
    expect(callersOf('assertEnvironmentName')).toEqual(['bin/cli/env.ts', 'infra/main.ts', 'infra/request.ts']);
  });

  it('--env/--cluster/--context of a cluster command: by the command itself', () => {
    const callers = callersOf('parseTarget');
    expect(callers.length).toBeGreaterThanOrEqual(6);
    expect(callers.filter((file) => !COMMAND.test(file))).toEqual([]);
  });

  it('--image/--set/--monitoring: by the commands, and where a canary replays its recorded flags', () => {
    const callers = callersOf('parseSynthChoices');
    expect(callers.filter((file) => !COMMAND.test(file))).toEqual(['bin/deploy/release.ts', 'infra/main.ts', 'infra/request.ts']);
  });

  it('the cluster flavour: by its two parsers, synth, and the config default', () => {
    expect(callersOf('getClusterFlavour')).toEqual([
      'bin/commands/synth.ts',
      'bin/deploy/clusters.ts',
      'infra/main.ts',
      'infra/request.ts',
    ]);
  });
});
