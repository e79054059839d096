import { describe, expect, it } from 'vitest';
import { LOCAL_MAX_NONZERO, LocalEmbedder } from '../../app/embeddings/local.js';

const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('LocalEmbedder', () => {
  const embedder = new LocalEmbedder();

  it('returns 1536-dim unit vectors, deterministically', async () => {
    const { vectors } = await embedder.embed([
      'Imagination is more important than knowledge',
      'Imagination is more important than knowledge',
    ]);
    expect(vectors[0]).toHaveLength(1536);
    expect(Math.sqrt(cosine(vectors[0]!, vectors[0]!))).toBeCloseTo(1, 10);
    expect(vectors[0]).toEqual(vectors[1]);
  });

  it('ranks a quote sharing words (or near-misses) above an unrelated one', async () => {
    const [query, related, misspelled, unrelated] = (
      await embedder.embed([
        'imagination knowledge',
        'Imagination is more important than knowledge.',
        'imaginaton and knowlege',
        'The early bird catches the worm.',
      ])
    ).vectors;
    expect(cosine(query!, related!)).toBeGreaterThan(cosine(query!, unrelated!) + 0.3);
    expect(cosine(query!, misspelled!)).toBeGreaterThan(cosine(query!, unrelated!) + 0.2);
  });

  it('counts words as tokens and makes no requests', async () => {
    const result = await embedder.embed(['love conquers all things']);
    expect(result.tokens).toBe(3);
    expect(result.requests).toBe(0);
  });
});

describe('LocalEmbedder non-zeros', () => {
  it('keeps at most LOCAL_MAX_NONZERO non-zero elements (what a sparse HNSW index takes), still a unit vector', async () => {
    // Made-up words, far more distinct features than 1,536 slots (no text the table takes has
    // this many: quotes are at most 2,000 characters; the cap holds whatever the length).
    let seed = 7;
    const letter = () => String.fromCharCode(97 + (((seed = (seed * 1103515245 + 12345) % 2 ** 31) >>> 16) % 26));
    const text = Array.from({ length: 1500 }, () => `${letter()}${letter()}${letter()}`).join(' ');
    const short = 'Imagination is more important than knowledge';
    const [long, plain] = (await new LocalEmbedder().embed([text, short])).vectors;
    expect(long!.filter((v) => v !== 0)).toHaveLength(LOCAL_MAX_NONZERO);
    expect(Math.sqrt(cosine(long!, long!))).toBeCloseTo(1, 10);
    // Short text is untouched by the cap: fewer non-zeros than the cap.
    expect(plain!.filter((v) => v !== 0).length).toBeLessThan(100);
  });
});
