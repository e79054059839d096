import { createHash } from 'node:crypto';

/** Case, Unicode form and runs of whitespace do not make a quote new. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The idempotency key of a quote: the same words by the same author hash the same. */
export function contentHash(quote: string, author: string): string {
  return createHash('sha256')
    .update(`${normalizeText(quote)}\u0000${normalizeText(author)}`)
    .digest('hex');
}

/** What gets embedded for a stored quote: its words, then who said them. */
export function embeddingText(quote: string, author: string): string {
  return `${quote.trim()} — ${author.trim()}`;
}
