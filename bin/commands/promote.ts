import type { Command } from '@commander-js/extra-typings';
import { registerFinish } from './finish-canary.js';

export function register(program: Command): void {
  registerFinish(
    program,
    'promote',
    "Finish a canary release by hand: the stable quote-api takes the canary's image, then the canary objects are removed.",
  );
}
