import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SynthResult } from './main.js';
import { toYamlDocuments } from './yaml.js';

// Apart from main.ts (and so from cdk8s): a cached synth (synth-cache.ts) writes its files without loading it.

export type RenderedFile = { name: string; content: string };

/** The YAML text of each file, exactly as written to disk. */
export function renderFiles(result: Pick<SynthResult, 'files'>): RenderedFile[] {
  return result.files.map((file) => ({ name: file.name, content: toYamlDocuments(file.objects) }));
}

const OWNED_FILE = /^[0-9]{2}-[a-z0-9-]+\.yaml$/;

/**
 * Writes `<outDir>/<env>/<NN-name>.yaml` and removes numbered YAML files left there by an
 * earlier run (objects that disappeared from the code must not linger in dist/).
 * Returns the environment directory and the written paths.
 */
export function writeSynthOutput(
  result: Pick<SynthResult, 'env' | 'files'>,
  outDir: string,
  rendered: RenderedFile[] = renderFiles(result),
): { dir: string; paths: string[] } {
  const dir = resolve(outDir, result.env);
  mkdirSync(dir, { recursive: true });
  const keep = new Set(rendered.map((file) => file.name));
  for (const existing of readdirSync(dir)) {
    if (OWNED_FILE.test(existing) && !keep.has(existing)) rmSync(join(dir, existing));
  }
  const paths = rendered.map((file) => {
    const path = join(dir, file.name);
    // An unchanged file is left alone (and keeps its mtime): reading is cheaper than writing.
    if (!sameContent(path, file.content)) writeFileSync(path, file.content);
    return path;
  });
  return { dir, paths };
}

function sameContent(path: string, content: string): boolean {
  try {
    return readFileSync(path, 'utf8') === content;
  } catch {
    return false;
  }
}
