import { describe, expect, it } from 'vitest';
import { UrlMemo } from '../../app/routes/url-memo.js';

describe('UrlMemo', () => {
  it('gives back what it kept for the same URL, and nothing for another', () => {
    const memo = new UrlMemo<{ q: string }>();
    const kept = memo.remember('/quotes/search?q=love', { q: 'love' });
    expect(memo.get('/quotes/search?q=love')).toBe(kept);
    expect(memo.get('/quotes/search?q=Love')).toBeUndefined();
  });

  it('holds at most its size, dropping the oldest first', () => {
    const memo = new UrlMemo<number>(3);
    for (let i = 1; i <= 5; i++) memo.remember(`/u?i=${i}`, i);
    expect(memo.size).toBe(3);
    expect([1, 2, 3, 4, 5].map((i) => memo.get(`/u?i=${i}`))).toEqual([undefined, undefined, 3, 4, 5]);
  });

  it('does not keep a URL longer than its limit, but still returns the value', () => {
    const memo = new UrlMemo<string>(10, 20);
    const long = `/quotes/search?q=${'a'.repeat(30)}`;
    expect(memo.remember(long, 'value')).toBe('value');
    expect(memo.get(long)).toBeUndefined();
    expect(memo.size).toBe(0);
  });
});
