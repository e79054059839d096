import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** data/quotes.json: the 1454 DummyJSON quotes (MIT, licence in data/README.md), shipped in the repository. */
export const QUOTES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../data/quotes.json');

export interface FixtureQuote {
  id: number;
  quote: string;
  author: string;
}

export function loadQuoteFixture(): FixtureQuote[] {
  return JSON.parse(readFileSync(QUOTES_PATH, 'utf8')) as FixtureQuote[];
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);
