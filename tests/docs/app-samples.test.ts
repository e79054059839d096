import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT, repoPath } from '../helpers/quotes-fixture.js';
import { extractTranscripts } from './examples.js';

/**
 * The curl transcripts of docs/app.md are what the app answers: a real `qctl dev --ephemeral`
 * (the embedded default: PGlite, the 1423 quotes of data/quotes.json, the offline embedder, all
 * deterministic) serves them, each `$ curl` runs as written (port aside) in the order shown, and
 * its answer must match the sample. In a sample, a string "..." stands for any text, a string
 * ending in " ..." for text that starts so, and a trailing `, ...]` for more items.
 * When a sample goes stale, the failure prints the real answer to paste.
 */
const transcripts = extractTranscripts(REPO_ROOT, 'docs/app.md').filter((t) => /^curl /.test(t.command));
const API_TOKEN = 'docs-sample-token-0123456789';
const MORE = '\u0000more items';

let port = 0;
let dev: ReturnType<typeof execa> | undefined;
const dir = mkdtempSync(join(tmpdir(), 'qctl-app-samples-'));

beforeAll(async () => {
  port = await freePort();
  dev = execa('node', [repoPath('bin/qctl.mjs'), 'dev', '--ephemeral', '--port', String(port)], {
    cwd: dir,
    env: { CI: 'true', API_TOKEN, OPENAI_API_KEY: undefined, DATABASE_URL: undefined, REDIS_URL: undefined, EMBEDDING_MODEL: undefined },
    reject: false,
  });
  let output = '';
  dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  while (!/quote API ready/.test(output)) {
    if (dev.exitCode !== null) throw new Error(`qctl dev exited ${dev.exitCode}: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 300_000);

afterAll(async () => {
  dev?.kill('SIGINT');
  await dev;
  rmSync(dir, { recursive: true, force: true });
});

/** The sample as a value to match: `...` elisions become wildcards, a trailing `# comment` goes. */
function parseSample(output: string[]): unknown {
  const text = output
    .map((line) => line.replace(/\s+#\s.*$/, ''))
    .join('\n')
    .replace(/,\s*\.\.\.\s*\]/g, `,${JSON.stringify(MORE)}]`);
  return JSON.parse(text) as unknown;
}

/** Where `actual` differs from the sample, or undefined when it matches. */
function mismatch(sample: unknown, actual: unknown, path = '$'): string | undefined {
  if (typeof sample === 'string' && sample === '...') return typeof actual === 'string' ? undefined : `${path}: expected a string`;
  if (typeof sample === 'string' && sample.endsWith(' ...')) {
    const prefix = sample.slice(0, -4);
    return typeof actual === 'string' && actual.startsWith(prefix)
      ? undefined
      : `${path}: expected text starting ${JSON.stringify(prefix)}`;
  }
  if (Array.isArray(sample)) {
    if (!Array.isArray(actual)) return `${path}: expected an array`;
    const open = sample.at(-1) === MORE;
    const items = open ? sample.slice(0, -1) : sample;
    if (open ? actual.length < items.length : actual.length !== items.length)
      return `${path}: ${actual.length} items, the sample shows ${items.length}${open ? ' or more' : ''}`;
    for (const [i, item] of items.entries()) {
      const found = mismatch(item, actual[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (sample !== null && typeof sample === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object`;
    const keys = Object.keys(sample);
    const actualKeys = Object.keys(actual);
    if (keys.join() !== actualKeys.join()) return `${path}: keys ${actualKeys.join(',')}, the sample shows ${keys.join(',')}`;
    for (const key of keys) {
      const found = mismatch((sample as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  return Object.is(sample, actual) ? undefined : `${path}: ${JSON.stringify(actual)}, the sample shows ${JSON.stringify(sample)}`;
}

describe('docs/app.md: the curl samples are what the app answers', () => {
  it('has samples to check', () => {
    expect(transcripts.filter((t) => t.output.some((line) => line.trim())).length).toBeGreaterThanOrEqual(6);
  });

  it('every `$ curl` answers as shown (the embedded default, offline embedder)', { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    for (const transcript of transcripts) {
      const command = transcript.command.replaceAll('http://127.0.0.1:8080', `http://127.0.0.1:${port}`);
      const result = await execa('sh', ['-c', command], { env: { API_TOKEN }, reject: false });
      const answer = String(result.stdout);
      if (result.exitCode !== 0) {
        problems.push(`${transcript.where}: curl exited ${result.exitCode}: ${String(result.stderr)}`);
        continue;
      }
      if (!transcript.output.some((line) => line.trim())) continue;
      const found = mismatch(parseSample(transcript.output), JSON.parse(answer) as unknown);
      if (found) problems.push(`${transcript.where}: ${found}\n    the app answers: ${answer}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
