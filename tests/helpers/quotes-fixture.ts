import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/data/quotes.json: the 1454 DummyJSON quotes (MIT), beside the repository, never copied into it. */
export const SHARED_QUOTES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data/quotes.json');

export interface FixtureQuote {
  id: number;
  quote: string;
  author: string;
}

export function loadSharedQuotes(): FixtureQuote[] {
  return JSON.parse(readFileSync(SHARED_QUOTES_PATH, 'utf8')) as FixtureQuote[];
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);
