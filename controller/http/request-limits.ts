// Rate limits on the HTTP surface's credential checks (issue 12): sign-in (POST /api/v1/session)
// and requests carrying a bearer token. Each costs a TokenReview in Kubernetes mode (a fresh token
// is never in the review cache) and a constant-time compare in directory mode; unlimited, one client
// could load the apiserver or guess at leisure. A token bucket per client address; over the limit the
// answer is 429 with Retry-After, before any credential is looked at. Pure apart from the clock.
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { refuseUpgrade } from '../lib/refuse-upgrade.js';

export interface BucketLimit { perSecond: number; burst: number }

/** Sign-in: 20 at once, then one every 2 s per address — plenty for people, useless for guessing. */
export const SIGN_IN_LIMIT: BucketLimit = { perSecond: 0.5, burst: 20 };
/** Bearer requests: the page-less API clients (`berth plan`, scripts, dashboards) — 20/s, 100 at once. */
export const BEARER_LIMIT: BucketLimit = { perSecond: 20, burst: 100 };

/** Token buckets by key, at most `maxKeys` of them (the longest idle go first). */
export class KeyedLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly limit: BucketLimit, private readonly now: () => number = Date.now, private readonly maxKeys = 10_000) {}

  /** 0 if KEY may go now (and one token is taken), else the milliseconds until it may. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t };
    this.buckets.delete(key);   // re-inserted below: Map order = least recently used first
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
    b.at = t;
    let wait = 0;
    if (b.tokens >= 1) b.tokens -= 1;
    else wait = Math.ceil(((1 - b.tokens) / this.limit.perSecond) * 1000);
    this.buckets.set(key, b);
    while (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return wait;
  }

  get size(): number { return this.buckets.size; }
}

/** The client's address (the socket's: a forwarded header is the client's to choose). */
export const clientOf = (req: Request): string => req.socket.remoteAddress ?? 'unknown';

export interface RequestLimitsOptions { signIn?: BucketLimit; bearer?: BucketLimit; now?: () => number }

export function tooMany(res: Response, waitMs: number, what: string): void {
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
  res.status(429).json({ error: 'TooManyRequests', message: `too many ${what} from this address; try again in ${Math.max(1, Math.ceil(waitMs / 1000))} s` });
}

/** The two limiters as express middleware: mount `signIn` on POST /api/v1/session and `bearer` on /api. */
export function requestLimits(opts: RequestLimitsOptions = {}) {
  const signIn = new KeyedLimiter(opts.signIn ?? SIGN_IN_LIMIT, opts.now);
  const bearer = new KeyedLimiter(opts.bearer ?? BEARER_LIMIT, opts.now);
  return {
    signIn(req: Request, res: Response, next: NextFunction): void {
      const wait = signIn.take(clientOf(req));
      if (wait > 0) { tooMany(res, wait, 'sign-in attempts'); return; }
      next();
    },
    bearer(req: Request, res: Response, next: NextFunction): void {
      if (!req.headers.authorization) { next(); return; }
      const wait = bearer.take(clientOf(req));
      if (wait > 0) { tooMany(res, wait, 'requests with a bearer token'); return; }
      next();
    },
  };
}

/**
 * The bearer limit for WebSocket upgrades (the log and exec sockets are GETs too). The agent
 * endpoint is not limited here: a fleet behind one NAT reconnects at once after a restart, agents
 * back off on their own, and their tokens are checked by signature, not by a review.
 */
export function upgradeLimit(opts: { bearer?: BucketLimit; now?: () => number; exempt: readonly string[] }): (req: IncomingMessage, socket: Duplex) => boolean {
  const limiter = new KeyedLimiter(opts.bearer ?? BEARER_LIMIT, opts.now);
  return (req, socket) => {
    if (!req.headers.authorization) return true;
    let path = '';
    try { path = new URL(req.url ?? '/', 'http://upgrade.invalid').pathname; } catch { /* not ours: the router answers 404 */ }
    if (opts.exempt.includes(path)) return true;
    const wait = limiter.take(req.socket.remoteAddress ?? 'unknown');
    if (wait === 0) return true;
    const secs = Math.max(1, Math.ceil(wait / 1000));
    refuseUpgrade(socket, 429, { error: 'TooManyRequests', message: `too many requests with a bearer token from this address; try again in ${secs} s` }, [`Retry-After: ${secs}`]);
    return false;
  };
}
