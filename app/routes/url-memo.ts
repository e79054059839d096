/**
 * The result of pure work on a request URL, kept for the next request with the same URL.
 * Validating and normalising a search query costs more CPU in the server (~10 µs) than answering
 * it from the cache, and a cached answer means the URL was seen before. Only URLs of ordinary
 * length are kept, and the oldest goes first when full: odd or hostile URLs cost little memory.
 */
export class UrlMemo<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly maxEntries = 1_000,
    private readonly maxUrlLength = 512,
  ) {}

  get(url: string): T | undefined {
    return this.entries.get(url);
  }

  /** Keeps the value for the URL (if the URL is not too long) and returns it. */
  remember(url: string, value: T): T {
    if (url.length > this.maxUrlLength) return value;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(url, value);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
