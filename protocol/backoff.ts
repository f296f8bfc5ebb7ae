// Reconnect delays: full-jitter exponential backoff (DESIGN §3 "Connect"). Full jitter — a uniform
// random delay in [0, min(cap, base·2^attempt)) — spreads a fleet of agents that lost the controller at
// the same moment (a controller restart, a leader failover) over the whole window instead of letting
// them return in synchronized waves; the same goes for many open status pages (their page feed and
// log sockets). Shared by agent/ and web/, so it is pure and runs in Node and in the browser: the
// random source and the clock are injected.

export interface BackoffOptions {
  /** The first window (default 500 ms). */
  baseMs?: number;
  /** The largest window (default 30 s). */
  capMs?: number;
  /** A connection that lasted this long resets the attempts (default 60 s). */
  stableMs?: number;
  /**
   * After a stable connection is lost, the window stays at most `recoverCapMs` (default 2 s) for
   * `recoverMs` (default 30 s). A leader failover makes the agents' first attempts fail for the
   * Lease's duration (15 s); plain doubling would then leave them waiting out 16–30 s windows after
   * the new leader is ready (bench/failover measured a 29 s median). Kept small but jittered, the
   * fleet returns within a second or two of the new leader; a controller that stays away longer
   * gets the normal doubling once the recovery period is over.
   */
  recoverMs?: number;
  recoverCapMs?: number;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
  /** Milliseconds; default Date.now. */
  now?: () => number;
}

export class Backoff {
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly stableMs: number;
  private readonly recoverMs: number;
  private readonly recoverCapMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private attempt = 0;
  private connectedAt: number | undefined;
  /** Until when (this.now() ms) the recovery cap applies; 0 = not recovering. */
  private recoverUntil = 0;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 500;
    this.capMs = opts.capMs ?? 30_000;
    this.stableMs = opts.stableMs ?? 60_000;
    this.recoverMs = opts.recoverMs ?? 30_000;
    this.recoverCapMs = opts.recoverCapMs ?? 2_000;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /** Failed attempts since the last reset. */
  get attempts(): number { return this.attempt; }

  /** The upper bound of the next delay's window. */
  window(): number {
    // 2^attempt overflows to Infinity long after the cap is reached; Math.min keeps it finite.
    const cap = this.now() < this.recoverUntil ? Math.min(this.capMs, this.recoverCapMs) : this.capMs;
    return Math.min(cap, this.baseMs * 2 ** this.attempt);
  }

  /** The delay before the next attempt; each call widens the window until the cap. */
  next(): number {
    const delay = Math.floor(this.random() * this.window());
    this.attempt++;
    return delay;
  }

  /** The connection is up. Attempts are not reset yet: a connection that drops at once is a failure. */
  connected(): void { this.connectedAt = this.now(); }

  /**
   * The connection is gone; if it had been up for `stableMs`, the next delay starts small again and
   * stays small for the recovery period.
   */
  disconnected(): void {
    if (this.connectedAt !== undefined && this.now() - this.connectedAt >= this.stableMs) {
      this.attempt = 0;
      this.recoverUntil = this.now() + this.recoverMs;
    }
    this.connectedAt = undefined;
  }

  reset(): void { this.attempt = 0; this.connectedAt = undefined; this.recoverUntil = 0; }
}
