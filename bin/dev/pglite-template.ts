import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

/**
 * A freshly initialised PGlite cluster kept as a tarball, so that a new database starts from
 * it instead of running initdb. initdb inside WebAssembly costs ~5.5 s of CPU on this kind of
 * machine; loading the tarball ~1 s. Every in-memory start (`qctl dev --ephemeral`, the tests,
 * the benches) and the first start of a data directory begin from it.
 *
 * It lives in node_modules/.cache/qctl/ beside the PGlite it was made by (the usual home of a
 * tool's cache; `npm ci` starts it over), named after PGlite's version, so an upgrade never
 * restores a cluster of another version. Anything that goes wrong with it only costs speed:
 * a missing or unreadable template means initdb, as before.
 */

/**
 * The template's file for the installed PGlite: in `dir` if given, else in
 * node_modules/.cache/qctl/ of the node_modules that holds PGlite. Undefined when PGlite's
 * place or version cannot be told (then every start runs initdb).
 */
export function templateFile(dir?: string): string | undefined {
  const installed = installedPglite();
  if (!installed) return undefined;
  return join(dir ?? join(installed.nodeModules, '.cache', 'qctl'), `pglite-${installed.version}-template.tar`);
}

/** The template's bytes, or undefined when there is none (or it cannot be read). */
export async function readTemplate(file: string): Promise<Blob | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  return bytes && bytes.length > 0 ? new Blob([bytes]) : undefined;
}

/**
 * Keeps `db`'s files as the template. Call it on a cluster nothing has touched yet (right after
 * initdb). Written to a temporary name and renamed, so a concurrent start never reads half a file.
 */
export async function saveTemplate(db: PGlite, file: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir('none');
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
  } catch {
    // A read-only or full node_modules: the next start runs initdb again, nothing else changes.
  }
}

/** A template PGlite refused: removed, so the next start makes a good one. */
export async function discardTemplate(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => undefined);
}

let installed: { nodeModules: string; version: string } | null | undefined;

function installedPglite(): { nodeModules: string; version: string } | undefined {
  if (installed === undefined) {
    installed = null;
    try {
      // require.resolve, not import.meta.resolve: the same answer, and vitest's module runner has only the former.
      const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
      const marker = '/node_modules/@electric-sql/pglite/';
      const at = entry.lastIndexOf(marker);
      if (at !== -1) {
        const manifest = JSON.parse(readFileSync(`${entry.slice(0, at + marker.length)}package.json`, 'utf8')) as { version?: unknown };
        if (typeof manifest.version === 'string' && /^[\w.+-]+$/.test(manifest.version))
          installed = { nodeModules: entry.slice(0, at + '/node_modules/'.length), version: manifest.version };
      }
    } catch {
      // Not resolvable from here (an unusual install): no template.
    }
  }
  return installed ?? undefined;
}
