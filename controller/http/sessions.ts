// Browser sessions for Kubernetes mode (`BrowserSession`: a browser's sign-in to the status page).
// A browser presents a Kubernetes bearer token once (POST /api/v1/session); it gets back an opaque
// random id in an HttpOnly, SameSite=Strict cookie, and the token stays in this process's memory
// only — never in a URL, a log, the page or the cookie. The token is kept (not just the user it
// named) so every access check can re-run TokenReview (cached ~10 s): a revoked or expired token
// ends its browser session within seconds, not at the cookie's expiry. Browser sessions live in
// memory: a controller restart or a leader change asks the user to sign in again.
import { createHash, randomBytes } from 'node:crypto';

export interface BrowserSession { token: string; user: string; expiresAt: number }

export interface BrowserSessionStoreOptions {
  ttlMs?: number;
  /** All sessions together (default 10,000). When full, a new sign-in is refused: nobody's session is taken away. */
  maxSessions?: number;
  /** Sessions of one user (default 16): a user's next sign-in ends their own oldest, never anyone else's. */
  maxPerUser?: number;
  now?: () => number;
}

/** The id is hashed before use as a map key: what is compared is never the secret itself. */
const keyOf = (id: string) => createHash('sha256').update(id).digest('base64url');

export class BrowserSessionStore {
  private readonly sessions = new Map<string, BrowserSession>();
  readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly maxPerUser: number;
  private readonly now: () => number;

  constructor(opts: BrowserSessionStoreOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 60 * 60_000;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.maxPerUser = opts.maxPerUser ?? 16;
    this.now = opts.now ?? Date.now;
  }

  get size(): number { return this.sessions.size; }

  /**
   * A new session for USER, ending USER's oldest beyond the per-user cap; undefined when every slot
   * is held by live sessions (the caller answers 503). One identity signing in in a loop (session
   * flooding) thus only ever replaces its own sessions.
   */
  create(token: string, user: string): { id: string; expiresAt: number } | undefined {
    this.prune();
    const own = [...this.sessions].filter(([, s]) => s.user === user);
    // Map order is insertion order: the user's oldest sessions go first.
    for (let i = 0; i <= own.length - this.maxPerUser; i++) this.sessions.delete(own[i]![0]);
    if (this.sessions.size >= this.maxSessions) return undefined;
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.sessions.set(keyOf(id), { token, user, expiresAt });
    return { id, expiresAt };
  }

  /** How many live sessions USER holds. */
  countOf(user: string): number { let n = 0; for (const s of this.sessions.values()) if (s.user === user && s.expiresAt > this.now()) n++; return n; }

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
