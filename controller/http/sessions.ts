// Browser sessions for Kubernetes mode (`BrowserSession`: a browser's sign-in to the status page).
// A browser presents a Kubernetes bearer token once (POST /api/v1/session); it gets back an opaque
// random id in an HttpOnly, SameSite=Strict cookie, and the token stays in this process's memory
// only — never in a URL, a log, the page or the cookie. The token is kept (not just the user it
// named) so every access check can re-run TokenReview (cached ~10 s): a revoked or expired token
// ends its browser session within seconds, not at the cookie's expiry. Browser sessions live in
// memory: a controller restart or a leader change asks the user to sign in again.
import { createHash, randomBytes } from 'node:crypto';

export interface BrowserSession { token: string; user: string; expiresAt: number }

export interface BrowserSessionStoreOptions { ttlMs?: number; maxSessions?: number; now?: () => number }

/** The id is hashed before use as a map key: what is compared is never the secret itself. */
const keyOf = (id: string) => createHash('sha256').update(id).digest('base64url');

export class BrowserSessionStore {
  private readonly sessions = new Map<string, BrowserSession>();
  readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(opts: BrowserSessionStoreOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 60 * 60_000;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number { return this.sessions.size; }

  create(token: string, user: string): { id: string; expiresAt: number } {
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.sessions.set(keyOf(id), { token, user, expiresAt });
    this.prune();
    return { id, expiresAt };
  }

  get(id: string): BrowserSession | undefined {
    const key = keyOf(id);
    const s = this.sessions.get(key);
    if (s && s.expiresAt <= this.now()) { this.sessions.delete(key); return undefined; }
    return s;
  }

  delete(id: string): void { this.sessions.delete(keyOf(id)); }

  private prune(): void {
    const t = this.now();
    for (const [k, s] of this.sessions) if (s.expiresAt <= t) this.sessions.delete(k);
    // Map order is insertion order: the oldest sessions go first.
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
  }
}

export const SESSION_COOKIE = 'berth_session';

/** The value of one cookie from a Cookie header (no decoding: our ids are base64url). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie value. Path=/api: only the API, the page feed and the log socket need it.
 * Secure when the page was reached over HTTPS (directly or through a TLS-terminating proxy); on a
 * plain-http loopback address browsers would refuse a Secure cookie.
 */
export function sessionCookie(id: string, maxAgeMs: number, secure: boolean): string {
  return [`${SESSION_COOKIE}=${id}`, 'Path=/api', `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}
