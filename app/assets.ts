import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory that holds the app's non-TypeScript files (db/migrations, page/): app/ from
 * source, build/app/ after `npm run build`, and beside the single-file bundle in the image,
 * since this module is inlined into build/app/main.js there. Resolve assets from here, never
 * from a module's own directory, so every layout finds them.
 */
export const APP_DIR = dirname(fileURLToPath(import.meta.url));

export function appAsset(...parts: string[]): string {
  return join(APP_DIR, ...parts);
}
