import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The tests run real programs from apt (.ci/apt-packages.txt). One missing is named once, with
 * its package, instead of surfacing as `spawn redis-server ENOENT` or an exit code of undefined.
 */
export function requireTool(command: string, aptPackage: string, path = process.env.PATH ?? ''): void {
  const found = command.includes('/') ? existsSync(command) : path.split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
  if (!found) {
    throw new Error(`${command} is not installed: apt-get install ${aptPackage} (every package the tests need is in .ci/apt-packages.txt)`);
  }
}
