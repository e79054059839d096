import { EMBEDDING_DIMENSIONS, type EmbeddingProvider, type EmbeddingResult } from './provider.js';

export const LOCAL_EMBEDDING_MODEL = 'qctl-local-lexical-v1';

// Words that carry no topic; keeping them would make every quote look alike.
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can do does for from had has have he her his i if in into is it its ' +
    'me my no not of on or our she so than that the their them then there these they this to too was we were ' +
    'what when which who will with would you your all any just more most only own same some such very'
  ).split(' '),
);

/**
 * At most this many non-zero elements per vector: pgvector indexes a `sparsevec` in HNSW up to
 * 1,000 non-zeros (the local embedder's rows have a sparse index, app/db/vector-index.ts).
 * Only very long, unusual text reaches it (the shipped quotes have 166 at most; a 2,000
 * character quote of English words about 600); beyond it the weakest features are dropped.
 */
export const LOCAL_MAX_NONZERO = 1000;

const WORD_WEIGHT = 1;
const TRIGRAM_WEIGHT = 0.35;

/**
 * Deterministic, offline embedder: hashed bag of words plus character trigrams, L2-normalized.
 * Lexical, not semantic, but useful: shared words score high, and trigrams forgive
 * plurals and small misspellings ("imagine" ~ "imagination"). Used when no OpenAI key is set.
 */
export class LocalEmbedder implements EmbeddingProvider {
  readonly kind = 'local' as const;
  readonly model = LOCAL_EMBEDDING_MODEL;
  readonly dimensions = EMBEDDING_DIMENSIONS;

  async embed(texts: string[]): Promise<EmbeddingResult> {
    let tokens = 0;
    const vectors = texts.map((text) => {
      const words = tokenize(text);
      tokens += words.length;
      return embedWords(words);
    });
    return { vectors, tokens, requests: 0 };
  }
}

export function tokenize(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).filter((w) => !STOPWORDS.has(w));
}

function embedWords(words: string[]): number[] {
  const vector = new Float64Array(EMBEDDING_DIMENSIONS);
  for (const word of words) {
    addFeature(vector, `w:${word}`, WORD_WEIGHT);
    const padded = `^${word}$`;
    for (let i = 0; i + 3 <= padded.length; i++) addFeature(vector, `t:${padded.slice(i, i + 3)}`, TRIGRAM_WEIGHT);
  }
  keepStrongest(vector, LOCAL_MAX_NONZERO);
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm === 0) {
    // An all-zero vector has no cosine distance; a fixed unit vector keeps empty text comparable.
    const unit = new Array<number>(EMBEDDING_DIMENSIONS).fill(0);
    unit[0] = 1;
    return unit;
  }
  return Array.from(vector, (v) => v / norm);
}

/** Zeroes all but the `max` largest magnitudes (ties: the lower index stays), in place. */
function keepStrongest(vector: Float64Array, max: number): void {
  const nonZero: number[] = [];
  vector.forEach((v, i) => {
    if (v !== 0) nonZero.push(i);
  });
  if (nonZero.length <= max) return;
  nonZero.sort((a, b) => Math.abs(vector[b]!) - Math.abs(vector[a]!) || a - b);
  for (const i of nonZero.slice(max)) vector[i] = 0;
}

function addFeature(vector: Float64Array, feature: string, weight: number): void {
  const hash = fnv1a(feature);
  const index = hash % EMBEDDING_DIMENSIONS;
  // A sign bit from the hash keeps collisions from only ever adding up.
  const sign = (hash >>> 16) & 1 ? 1 : -1;
  vector[index]! += sign * weight;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
