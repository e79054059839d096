import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryCache } from '../../app/cache/memory.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryCache', () => {
  it('evicts the least recently used entry beyond its size', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    expect((await cache.get('a')).value).toBe('1'); // a is now the most recent
    await cache.set('c', '3', 60);
    expect((await cache.get('b')).value).toBeUndefined();
    expect((await cache.get('a')).value).toBe('1');
    expect((await cache.get('c')).value).toBe('3');
    expect(cache.size).toBe(2);
  });

  it('expires entries after their TTL', async () => {
    vi.useFakeTimers();
    const cache = new MemoryCache();
    await cache.set('k', 'v', 5);
    vi.advanceTimersByTime(4_900);
    expect(cache.getSync('k')).toBe('v');
    vi.advanceTimersByTime(200);
    expect(cache.getSync('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
