// A work queue in the shape of client-go's: a key added many times is processed once; a key being
// processed is never handed to a second worker (an add while it runs marks it dirty and it comes
// back after done()); failures come back after a per-key exponential backoff. Level-triggered: a key
// says "look at this resource again", nothing more. The workers, resync and leader gate around it
// are the reconcile loop's (loop.ts).

export interface BackoffOptions { baseMs: number; maxMs: number }

/** Told as things happen (client-go's workqueue metrics): the loop turns these into counters. */
export interface WorkQueueObserver {
  /** A key went into the queue (not an add folded into one already waiting or marked dirty). */
  added(): void;
  /** A key was put back after a failure, with backoff (addRateLimited). */
  retried(): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;

  constructor(
    private readonly backoff: BackoffOptions = { baseMs: 5, maxMs: 5 * 60_000 },
    private readonly observer?: WorkQueueObserver,
  ) {}

  add(key: string): void {
    if (this.shuttingDown) return;
    // Marked dirty: counted once, when done() puts it back.
    if (this.processing.has(key)) { this.dirty.add(key); return; }
    if (this.queued.has(key)) return;
    this.observer?.added();
    const waiter = this.waiters.shift();
    if (waiter) { this.processing.add(key); waiter(key); return; }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Add after `ms` (a later call for the same key replaces an earlier pending one only if sooner). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) { this.add(key); return; }
    const existing = this.timers.get(key) as (NodeJS.Timeout & { dueAt?: number }) | undefined;
    const dueAt = Date.now() + ms;
    if (existing?.dueAt !== undefined && existing.dueAt <= dueAt) return;
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => { this.timers.delete(key); this.add(key); }, ms) as NodeJS.Timeout & { dueAt?: number };
    timer.dueAt = dueAt;
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Add after this key's next backoff delay: base × 2^failures, capped. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.observer?.retried();
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** n);
    this.addAfter(key, delay);
    return delay;
  }

  /** Reset the key's backoff (after a success). */
  forget(key: string): void { this.failures.delete(key); }

  failuresOf(key: string): number { return this.failures.get(key) ?? 0; }

  /** The next key to process; resolves undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Mark processing of `key` finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  get depth(): number { return this.queue.length; }
  get active(): number { return this.processing.size; }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
