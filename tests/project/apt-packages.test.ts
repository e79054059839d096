import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/quotes-fixture.js';

/** The packages of .ci/apt-packages.txt: first word of each line that is not a comment. */
function listed(): string[] {
  return readFileSync(repoPath('.ci/apt-packages.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'))
    .map((line) => line.trim().split(/\s+/)[0]!);
}

describe('the apt packages the tests need: one list in one place', () => {
  it('.ci/run installs from .ci/apt-packages.txt and names no package of its own', () => {
    const run = readFileSync(repoPath('.ci/run'), 'utf8');
    expect(run).toContain('.ci/apt-packages.txt');
    expect(run).not.toMatch(/need\+=\((?!"\$package"\))/);
  });

  it('the README shows exactly the packages of the list', () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const paragraph = /The tests need these apt packages[\s\S]*?\n\n/.exec(readme)?.[0] ?? '';
    const named = [
      ...paragraph
        .split(':')
        .slice(1)
        .join(':')
        .matchAll(/`([a-z0-9.+-]+)`/g),
    ]
      .map((m) => m[1]!)
      .filter((name) => name !== 'promtool');
    expect(named.sort()).toEqual(listed().sort());
  });
});
