import type { Command } from '@commander-js/extra-typings';
import { registerFinish } from './finish-canary.js';

export function register(program: Command): void {
  registerFinish(
    program,
    'abort',
    'Finish a canary release by removing it: the canary objects are removed, the stable quote-api keeps its image.',
  );
}
