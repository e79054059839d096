import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIEmbedder } from '../../app/embeddings/openai.js';
import { EMBEDDING_DIMENSIONS } from '../../app/embeddings/provider.js';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';

let openai: FakeOpenAI;
beforeAll(async () => {
  openai = await startFakeOpenAI();
});
afterAll(async () => {
  await openai?.stop();
});

const embedder = (model: string) => new OpenAIEmbedder({ apiKey: 'sk-test', baseURL: openai.url, model, maxRetries: 0 });

describe('OpenAI embedding dimensions', () => {
  it('asks text-embedding-3-large for the column size (it answers 3072 by default), so EMBEDDING_MODEL=text-embedding-3-large works', async () => {
    openai.reset();
    const result = await embedder('text-embedding-3-large').embed(['courage', 'fear']);
    expect(result.vectors.map((v) => v.length)).toEqual([EMBEDDING_DIMENSIONS, EMBEDDING_DIMENSIONS]);
    expect(openai.requests).toMatchObject([{ model: 'text-embedding-3-large', dimensions: EMBEDDING_DIMENSIONS, status: 200 }]);
  });

  it('sends no dimensions to a model that does not take them', async () => {
    openai.reset();
    await embedder('text-embedding-ada-002').embed(['courage']);
    expect(openai.requests).toHaveLength(1);
    expect(openai.requests[0]!.dimensions).toBeUndefined();
  });
});
