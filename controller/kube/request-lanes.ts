// Client-side rate limits for the Kubernetes store's requests, like client-go's (--kube-api-qps /
// --kube-api-burst: a token bucket of `burst` requests refilled at `qps` per second), with LANES so
// that a full bucket never makes the token path wait behind the fleet's status writes.
//
// Why lanes: agents cannot connect before their token's Secret exists, and a rotated token cuts its
// agent off until the new Secret is written — so a token write stuck behind hundreds of host status
// writes (or best-effort Events) costs a whole host's availability, while a host status write that
// waits a little costs nothing. When requests wait for the bucket they are served in lane order:
// every waiting `tokens` request first (a few per AgentToken: its Secret, its status), then `hosts`
// (finalizers, host and set status, reads), then `events`. Within a lane, first come first served.
// Nothing waits when the bucket has room: the limiter only orders requests once it is saturated.
//
// Pure logic plus one timer: `now` and the timer functions are injectable for the unit tests.

export type Lane = 'tokens' | 'hosts' | 'events';

/** Served in this order when requests wait for the bucket. */
export const LANE_ORDER: readonly Lane[] = ['tokens', 'hosts', 'events'];

export interface RateLimits {
  /** Sustained requests per second; 0 (or less) turns client-side limiting off. */
  qps: number;
  /** Requests that may go at once before `qps` paces them (at least 1). */
  burst: number;
}

/** Defaults: well above what one kube-apiserver + etcd on two cores answered in bench/scale (~25–90 writes/s), so they cap bursts, not the steady rate. */
export const DEFAULT_RATE_LIMITS: RateLimits = { qps: 100, burst: 200 };

export interface LaneClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
}

const realClock: LaneClock = {
  now: () => performance.now(),
  // Not unref'd: a request waiting for the bucket keeps the process alive like one in flight.
  setTimer: (fn, ms) => setTimeout(fn, ms),
};

/** Validates limits given by flags or options; the message names the field. */
export function checkRateLimits(limits: RateLimits): RateLimits {
  if (!Number.isFinite(limits.qps)) throw new Error(`kube API qps must be a number (0 turns client-side limits off), got ${String(limits.qps)}`);
  if (limits.qps > 0 && !(Number.isInteger(limits.burst) && limits.burst >= 1)) throw new Error(`kube API burst must be a whole number >= 1, got ${String(limits.burst)}`);
  return limits;
}

export class RequestLanes {
  private tokens: number;
  private last: number;
  private readonly waiting = new Map<Lane, Array<() => void>>(LANE_ORDER.map((l) => [l, []]));
  private timer: unknown;
  private readonly clock: LaneClock;

  constructor(private readonly limits: RateLimits = DEFAULT_RATE_LIMITS, clock: Partial<LaneClock> = {}) {
    checkRateLimits(limits);
    this.clock = { ...realClock, ...clock };
    this.tokens = Math.max(1, limits.burst);
    this.last = this.clock.now();
  }

  get enabled(): boolean { return this.limits.qps > 0; }

  /** Requests waiting for the bucket, per lane (for metrics and tests). */
  depth(lane: Lane): number { return this.waiting.get(lane)!.length; }

  /** Resolves when a request of LANE may go. */
  acquire(lane: Lane): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.refill();
    if (this.total() === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiting.get(lane)!.push(resolve);
      this.schedule();
    });
  }

  private total(): number {
    let n = 0;
    for (const q of this.waiting.values()) n += q.length;
    return n;
  }

  private refill(): void {
    const t = this.clock.now();
    const burst = Math.max(1, this.limits.burst);
    this.tokens = Math.min(burst, this.tokens + ((t - this.last) / 1000) * this.limits.qps);
    this.last = t;
  }

  /** Hands out what the bucket holds, highest lane first; one timer for the next token if any wait. */
  private drain(): void {
    this.timer = undefined;
    this.refill();
    for (const lane of LANE_ORDER) {
      const q = this.waiting.get(lane)!;
      while (q.length && this.tokens >= 1) {
        this.tokens -= 1;
        q.shift()!();
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.total() === 0) return;
    const ms = Math.max(0, ((1 - this.tokens) / this.limits.qps) * 1000);
    this.timer = this.clock.setTimer(() => this.drain(), Math.ceil(ms));
  }
}

/** Which lane a request goes in: the token path (Secrets, AgentToken objects), Events, or the rest. */
export function laneOf(resource: { secret?: boolean; plural?: string; event?: boolean }): Lane {
  if (resource.secret || resource.plural === 'agenttokens') return 'tokens';
  if (resource.event) return 'events';
  return 'hosts';
}
