// Reconnect delays for the page's event stream and log sockets: full-jitter exponential backoff (a
// uniform delay in [0, min(cap, base·2^attempt))), so many open pages do not return in lockstep after
// a controller restart. A connection that stayed up `stableMs` resets the attempts. Pure: the random
// source and the clock are injected.

export interface BackoffOptions { baseMs?: number; capMs?: number; stableMs?: number; random?: () => number; now?: () => number }

export class Backoff {
  private attempt = 0;
  private openedAt: number | undefined;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly stableMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(o: BackoffOptions = {}) {
    this.baseMs = o.baseMs ?? 500;
    this.capMs = o.capMs ?? 15_000;
    this.stableMs = o.stableMs ?? 30_000;
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
  }

  get attempts(): number { return this.attempt; }

  /** The connection is up. */
  opened(): void { this.openedAt = this.now(); }

  /** The connection failed or dropped: how long to wait before the next try. */
  next(): number {
    if (this.openedAt !== undefined && this.now() - this.openedAt >= this.stableMs) this.attempt = 0;
    this.openedAt = undefined;
    const window = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * window);
  }

  reset(): void { this.attempt = 0; this.openedAt = undefined; }
}
