import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The command examples of README.md and docs/*.md, read straight from the Markdown so that a
 * doc edit is picked up by the next test run without touching the test:
 * - every line of a ```sh / ```bash / ```shell / ```console fence is a command (a trailing
 *   backslash continues it on the next line; a leading "$ " is dropped; blank and
 *   comment-only lines are skipped);
 * - a fence with a file name after its language (```text targets.txt) is a file the
 *   commands may use: it is written into the working directory before any command runs.
 */

export interface DocCommand {
  /** e.g. docs/load.md:8 */
  where: string;
  /** The line as written, continuations joined. */
  text: string;
  /** Commands of one fence share a block number (a `cmd &` keeps running for the rest of its block). */
  block: number;
}

export interface DocFile {
  where: string;
  name: string;
  content: string;
}

const SHELL_FENCES = new Set(['sh', 'bash', 'shell', 'console']);

export function docPaths(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export function extractDocs(root: string): { commands: DocCommand[]; files: DocFile[] } {
  const commands: DocCommand[] = [];
  const files: DocFile[] = [];
  let block = 0;
  for (const path of docPaths(root)) {
    const lines = readFileSync(join(root, path), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = /^```(\S*)(?:[ \t]+(\S+))?\s*$/.exec(lines[i]!);
      if (!fence) continue;
      const [, language = '', fileName] = fence;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
      const body = lines.slice(start, end);
      i = end;
      if (fileName) {
        files.push({ where: `${path}:${start}`, name: fileName, content: `${body.join('\n')}\n` });
        continue;
      }
      if (!SHELL_FENCES.has(language)) continue;
      block++;
      for (let j = 0; j < body.length; j++) {
        const lineNumber = start + j + 1;
        let text = body[j]!.replace(/^\$ /, '');
        while (text.endsWith('\\') && j + 1 < body.length) text = `${text.slice(0, -1)} ${body[++j]!.trim()}`;
        if (!text.trim() || text.trim().startsWith('#')) continue;
        commands.push({ where: `${path}:${lineNumber}`, text, block });
      }
    }
  }
  return { commands, files };
}

/** The line without its trailing shell comment (a "#" after whitespace, outside quotes). */
export function withoutComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

/**
 * The key that expectations are written against: no comment, no `npx ` before qctl (how qctl
 * is launched is not what the example shows), single spaces. Two docs showing the same
 * command share one key and one run.
 */
export function commandKey(text: string): string {
  return withoutComment(text)
    .replace(/\bnpx qctl\b/g, 'qctl')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A `$ command` followed by the output it prints, as shown in a plain ``` fence. */
export interface DocTranscript {
  where: string;
  command: string;
  output: string[];
}

/**
 * The transcripts of one doc: in a plain fence (no language), each line starting with `$ ` is a
 * command and the lines up to the next one are its output. (Shell fences are commands only:
 * extractDocs.)
 */
export function extractTranscripts(root: string, path: string): DocTranscript[] {
  const lines = readFileSync(join(root, path), 'utf8').split('\n');
  const found: DocTranscript[] = [];
  let fence: 'plain' | 'other' | undefined;
  let current: DocTranscript | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^```/.test(line)) {
      fence = fence ? undefined : line.trim() === '```' ? 'plain' : 'other';
      current = undefined;
      continue;
    }
    if (fence !== 'plain') continue;
    if (line.startsWith('$ ')) {
      current = { where: `${path}:${i + 1}`, command: line.slice(2), output: [] };
      found.push(current);
    } else if (current) {
      // A continued command (trailing backslash) goes on before its output starts.
      if (current.output.length === 0 && current.command.endsWith('\\')) current.command = `${current.command.slice(0, -1)} ${line.trim()}`;
      else current.output.push(line);
    }
  }
  return found;
}
