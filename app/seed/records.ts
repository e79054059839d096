import { contentHash } from '../quotes/quote-text.js';
import { textProblem } from '../quotes/text-rules.js';
import { INVALID_UTF8_MARK } from './utf8.js';

/** Limits of the `quotes` table (its CHECK constraints): a longer record would fail the whole batch insert. */
export const MAX_QUOTE_LENGTH = 2000;
export const MAX_AUTHOR_LENGTH = 200;

/** A record that passed validation, with its position in the source (0-based) and idempotency key. */
export interface SeedQuote {
  index: number;
  quote: string;
  author: string;
  hash: string;
}

export interface InvalidRecord {
  index: number;
  reason: string;
}

export type RecordCheck = { ok: true; quote: SeedQuote } | { ok: false; invalid: InvalidRecord };

/**
 * Checks one raw source record: bad ones are listed by index and skipped, the rest stored. Extra fields (DummyJSON's `id`) are ignored; text is trimmed
 * but otherwise stored as given, so the page shows the quote the way the source wrote it.
 */
export function checkRecord(raw: unknown, index: number): RecordCheck {
  const fail = (reason: string): RecordCheck => ({ ok: false, invalid: { index, reason } });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail('not an object with quote and author');
  const record = raw as Record<string, unknown>;
  if (typeof record.quote !== 'string') return fail('missing quote');
  if (typeof record.author !== 'string') return fail('missing author');
  const quote = record.quote.trim();
  const author = record.author.trim();
  // POST /quotes refuses invalid UTF-8 with 400; here it is this record that is refused.
  if (quote.includes(INVALID_UTF8_MARK)) return fail('quote is not valid UTF-8 in the source (it holds bytes that are not)');
  if (author.includes(INVALID_UTF8_MARK)) return fail('author is not valid UTF-8 in the source (it holds bytes that are not)');
  // The same rules as POST /quotes: a record the API would refuse is skipped, never stored altered.
  const problem = textProblem(quote, 'quote', MAX_QUOTE_LENGTH) ?? textProblem(author, 'author', MAX_AUTHOR_LENGTH);
  if (problem) return fail(problem);
  return { ok: true, quote: { index, quote, author, hash: contentHash(quote, author) } };
}
