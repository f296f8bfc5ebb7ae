// A fixed-capacity ring of the most recent items (the last 1000 log lines of a stream), replayed
// to viewers who join late. Pure.
export class RingBuffer<T> {
  private readonly items: Array<T | undefined>;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number { return this.count; }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  pushAll(items: readonly T[]): void { for (const i of items) this.push(i); }

  /** The newest N items (all when N ≥ size), oldest first. */
  last(n = this.count): T[] {
    const k = Math.max(0, Math.min(n, this.count));
    const out = new Array<T>(k);
    for (let i = 0; i < k; i++) out[i] = this.items[(this.start + this.count - k + i) % this.capacity]!;
    return out;
  }

  /** The newest item. */
  peek(): T | undefined { return this.count ? this.items[(this.start + this.count - 1) % this.capacity] : undefined; }
}
