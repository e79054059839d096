import { describe, expect, it } from 'vitest';
import { LocalEmbedder } from '../../app/embeddings/local.js';

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
