// The per-connection limit on valid agent traffic: a token bucket of frames and bytes per second
// holding `burstSeconds` worth. Pure (the caller passes the clock): the connection turns an answer
// into pausing its socket, TCP backpressure then slows the agent, and nothing is dropped.

export interface RateLimit { framesPerSec: number; bytesPerSec: number; burstSeconds: number }

/** What a pause looks like: how long from now, and whether it starts a new throttling episode. */
export interface Pause { waitMs: number; newEpisode: boolean }

export class TokenBucket {
  /** May go negative: the deficit is the pause. */
  private frames: number;
  private bytes: number;
  private at: number;
  private throttledUntil = 0;

  constructor(private readonly limit: RateLimit, now: number) {
    this.frames = limit.framesPerSec * limit.burstSeconds;
    this.bytes = limit.bytesPerSec * limit.burstSeconds;
    this.at = now;
  }

  /**
   * Take one frame of `bytes`. Undefined while the bucket is in credit, or when the pause already
   * running covers the deficit; otherwise the pause to start (or lengthen) now. Frames that arrive
   * while paused (already buffered) are charged too, which only lengthens the pause.
   */
  charge(bytes: number, now: number): Pause | undefined {
    const { framesPerSec, bytesPerSec, burstSeconds } = this.limit;
    const elapsed = (now - this.at) / 1000;
    this.at = now;
    this.frames = Math.min(framesPerSec * burstSeconds, this.frames + elapsed * framesPerSec) - 1;
    this.bytes = Math.min(bytesPerSec * burstSeconds, this.bytes + elapsed * bytesPerSec) - bytes;
    if (this.frames >= 0 && this.bytes >= 0) return undefined;
    const waitMs = Math.ceil(Math.max(-this.frames / framesPerSec, -this.bytes / bytesPerSec) * 1000);
    if (now + waitMs <= this.throttledUntil) return undefined;   // already paused long enough
    const newEpisode = now >= this.throttledUntil;                // not just a longer pause
    this.throttledUntil = now + waitMs;
    return { waitMs, newEpisode };
  }
}
