// The agent's action executor: a keyed serial queue. Actions on one container run strictly in the
// order they arrived (an apply followed by a remove of the same name must not race inside Docker),
// while actions on different containers run in parallel, optionally capped so that a burst of
// applies after a reconnect does not open hundreds of simultaneous requests against dockerd.
// Pure: no Docker, no timers except the optional drain deadline.

export interface KeyedSerialQueueOptions {
  /** Tasks running at once across all keys (default 8). */
  maxConcurrent?: number;
}

export class KeyedSerialQueue {
  private readonly maxConcurrent: number;
  /** The tail of each key's chain; removed when the key's last task settles. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Resolvers of tasks waiting for a global slot, first come first served. */
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private queued = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(opts: KeyedSerialQueueOptions = {}) {
    this.maxConcurrent = Math.max(1, opts.maxConcurrent ?? 8);
  }

  /** Tasks accepted and not yet settled (running or waiting). */
  get size(): number { return this.queued; }

  /** Keys with at least one unsettled task. */
  get activeKeys(): string[] { return [...this.tails.keys()]; }

  /** Run TASK after every earlier task of KEY has settled; the promise settles with TASK's outcome. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.queued++;
    const previous = this.tails.get(key) ?? Promise.resolve();
    // eslint-disable-next-line prefer-const
    let tail: Promise<void>;
    const result = previous.then(async () => {
      await this.acquire();
      try { return await task(); } finally {
        // Bookkeeping before the caller sees the outcome, so `size` is exact when it does.
        this.release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
        this.queued--;
        if (this.queued === 0) for (const w of this.idleWaiters.splice(0)) w();
      }
    });
    // The chain continues whatever this task's outcome: one failed apply must not wedge the key.
    tail = result.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    return result;
  }

  /** Resolves once no task is running or waiting. */
  idle(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for idle() at most TIMEOUT_MS; true if everything finished in time. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    try {
      return await Promise.race([this.idle().then(() => true as const), timedOut]);
    } finally { clearTimeout(timer); }
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) { this.running++; return Promise.resolve(); }
    return new Promise((resolve) => this.waiting.push(() => { this.running++; resolve(); }));
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
