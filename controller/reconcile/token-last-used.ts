// AgentToken status.lastUsedAt, written off the fleet's critical path.
//
// lastUsedAt is bookkeeping ("when did an agent last connect with this token", at most once a minute
// by contract), but each write is a whole status write against the apiserver. Written the moment an
// agent connects, it competed with everything a cold fleet waits for: a freshly minted token got two
// status writes within seconds (issued, then lastUsedAt), and a controller restart rewrote every
// token's status while the fleet reconnected (bench/scale --modes kube; docs/performance.md).
//
// So a use is remembered in memory and written later:
//   - not before a minute after the token's last status write we know of (its lastUsedAt, or its
//     issuedAt: the issue write counts as that minute's write, which folds a first use right after
//     minting into the next minute instead of a second write now);
//   - never before the token's issue is in the store (an agent can connect while that write is
//     in flight);
//   - repeated uses in between become one write with the latest time;
//   - at most `concurrency` such writes in flight, so a reconnecting fleet's writes trickle behind
//     the host and token reconciles instead of arriving as one wave.
// What it costs: lastUsedAt shows a use up to ~a minute late, the staleness the contract already has.

export interface TokenUse {
  /** status.issuedAt and status.lastUsedAt as the store has them now; undefined: the token is gone. */
  issuedAt?: string;
  lastUsedAt?: string;
}

export interface LastUsedOptions {
  /** The token of UID as the store has it now (undefined: gone, nothing to write). */
  lookup(uid: string): TokenUse | undefined;
  /** Writes lastUsedAt = AT (whole seconds, RFC 3339) into UID's status. */
  write(uid: string, at: string): Promise<void>;
  onError?(uid: string, err: unknown): void;
  /** At most one lastUsedAt write per token per this long (default 60 s). */
  minIntervalMs?: number;
  /** Writes in flight at once (default 2). */
  concurrency?: number;
  /** How often due uses are looked at (default 1 s). */
  tickMs?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const seconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class LastUsedRecorder {
  /** uid → when an agent last connected with it (ms), not yet written. */
  private readonly pending = new Map<string, number>();
  private readonly writing = new Set<string>();
  private timer: unknown;
  private stopped = false;
  private readonly minIntervalMs: number;
  private readonly concurrency: number;
  private readonly tickMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly opts: LastUsedOptions) {
    this.minIntervalMs = opts.minIntervalMs ?? 60_000;
    this.concurrency = opts.concurrency ?? 2;
    this.tickMs = opts.tickMs ?? 1_000;
    this.now = opts.now ?? Date.now;
    this.setTimer = opts.setTimer ?? ((fn, ms) => { const t = setTimeout(fn, ms); t.unref?.(); return t; });
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** An agent connected with the token of UID just now. */
  used(uid: string): void {
    if (this.stopped) return;
    this.pending.set(uid, this.now());
    this.arm();
  }

  /** Uses not yet written (for tests and diagnostics). */
  get waiting(): number { return this.pending.size; }

  /** Writes what is due now (the timer calls this; tests may too). */
  flush(): void {
    this.timer = undefined;
    const now = this.now();
    for (const [uid, at] of this.pending) {
      if (this.writing.size >= this.concurrency) break;
      if (this.writing.has(uid)) continue;
      const token = this.opts.lookup(uid);
      if (!token) { this.pending.delete(uid); continue; }
      // Not issued yet as the store sees it: its issue write is in flight (an agent can connect
      // as soon as the Secret exists, before the status write lands). Keep the use: once the issue
      // is in, it folds into the minute after it, like any first use. (The write itself is made
      // from the status as stored, so it could not undo the issue either: token-reconciler.ts.)
      if (token.issuedAt === undefined) continue;
      const lastUsed = Date.parse(token.lastUsedAt ?? '');
      // Already recorded (by us, or by another replica) at or after this use: nothing to write.
      if (Number.isFinite(lastUsed) && lastUsed >= Math.floor(at / 1000) * 1000) { this.pending.delete(uid); continue; }
      const lastWrite = Math.max(Number.isFinite(lastUsed) ? lastUsed : -Infinity, Date.parse(token.issuedAt ?? '') || -Infinity);
      if (now - lastWrite < this.minIntervalMs) continue;
      this.pending.delete(uid);
      this.writing.add(uid);
      void this.opts.write(uid, seconds(at))
        .catch((err: unknown) => this.opts.onError?.(uid, err))
        .finally(() => { this.writing.delete(uid); this.arm(); });
    }
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private arm(): void {
    if (this.stopped || this.timer !== undefined || this.pending.size === 0) return;
    this.timer = this.setTimer(() => this.flush(), this.tickMs);
  }
}
