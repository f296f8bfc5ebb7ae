// A small memo for access decisions: answers live `ttlMs`, identical lookups in flight share one
// call (a page opening its page feed and log socket together asks the apiserver once), failures
// are not remembered, and the size is bounded (oldest entries go first). Pure: the clock is injected.

export interface TtlCacheOptions { ttlMs: number; maxEntries?: number; now?: () => number }

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expires: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: TtlCacheOptions) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number { return this.entries.size; }

  /** The cached answer for `key`, or `load()`'s (remembered for ttlMs once it succeeds). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > t) return hit.value;
    if (hit) this.entries.delete(key);
    const value = load();
    const entry = { value, expires: t + this.ttlMs };
    this.entries.set(key, entry);
    value.catch(() => { if (this.entries.get(key) === entry) this.entries.delete(key); });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return value;
  }

  delete(key: string): void { this.entries.delete(key); }
}
