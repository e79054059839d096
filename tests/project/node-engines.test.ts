import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../helpers/quotes-fixture.js';

/**
 * The code supports Node 20 (package.json engines): no installed package may ask for a newer
 * Node (cookie@2 wants >= 22 and npm warns about it on every install). Ranges are npm's engines
 * syntax; the forms used in the lock file are enough here: `a || b`, `>=x`, `>= x`, `^x`, `x`, `x.x`, `*`.
 */
type Version = [number, number, number];
const parse = (text: string): Version => {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^v/, '')
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
};
const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) => {
    const comparators = alternative
      .trim()
      .replace(/(>=|<=|>|<|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    return comparators.every((c) => {
      if (c === '*' || c === 'x') return true;
      const [, op = '', rest = ''] = /^(>=|<=|>|<|\^|~)?(.*)$/.exec(c)!;
      const bound = parse(rest);
      const parts = rest.split('.').filter((p) => /^\d+$/.test(p)).length;
      if (op === '>=') return compare(version, bound) >= 0;
      if (op === '>') return compare(version, bound) > 0;
      if (op === '<=') return compare(version, bound) <= 0;
      if (op === '<') return compare(version, bound) < 0;
      if (op === '^') return version[0] === bound[0] && compare(version, bound) >= 0;
      if (op === '~') return version[0] === bound[0] && version[1] === bound[1] && compare(version, bound) >= 0;
      // A bare "20" or "20.x" is any 20.*.
      return version.slice(0, Math.max(parts, 1)).every((n, i) => n === bound[i]);
    });
  });
}

describe('Node engines of the installed packages', () => {
  it('reads engine ranges the way npm does for the forms the lock file uses', () => {
    expect(satisfies([20, 20, 2], '>=22')).toBe(false);
    expect(satisfies([20, 20, 2], '>= 20.19.0')).toBe(true);
    expect(satisfies([20, 20, 2], '^18.18.0 || ^20.9.0 || >=21.1.0')).toBe(true);
    expect(satisfies([20, 20, 2], '^22.20 || ^24.12 || >=25')).toBe(false);
    expect(satisfies([20, 20, 2], '18 || 20 || >=22')).toBe(true);
    expect(satisfies([20, 20, 2], '4.x || >=6.0.0')).toBe(true);
  });

  it('admit the Node that runs the tests: no package installed for every platform asks for a newer one', () => {
    const lock = JSON.parse(readFileSync(repoPath('package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; optional?: boolean; engines?: { node?: string } | string[] }>;
    };
    const node = parse(process.versions.node);
    const refused = Object.entries(lock.packages)
      // Optional platform packages (native builds for one OS/Node) are skipped by npm where they do not fit.
      .filter(([name, info]) => name !== '' && !info.optional && !Array.isArray(info.engines) && info.engines?.node)
      .filter(([, info]) => !satisfies(node, (info.engines as { node: string }).node))
      .map(
        ([name, info]) => `${name.replace(/^.*node_modules\//, '')}@${info.version} wants node ${(info.engines as { node: string }).node}`,
      );
    expect(refused).toEqual([]);
  });
});
