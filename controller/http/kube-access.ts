// Kubernetes mode's AccessControl for the status page, the JSON API, the event stream and the log
// socket (DESIGN §6): the credential is a bearer token (Authorization header, for API clients) or
// the session cookie a browser got for the token it presented once; TokenReview says whose it is,
// SubjectAccessReview whether they may `get` the resource. Both answers are cached ~10 s, so a
// page's burst of requests costs the apiserver one review each, and a revoked token or RoleBinding
// takes effect within about that long. The apiserver calls live behind the Reviewer interface.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Reviewer, TokenReviewResult, UserInfo } from '../kube/review.js';
import type { AccessControl, AccessDecision, AccessRequest } from './access.js';
import { BrowserSessionStore, readCookie, SESSION_COOKIE } from './sessions.js';
import { TtlCache } from './ttl-cache.js';

export type SignInResult =
  | { ok: true; user: string; sessionId: string; expiresAt: number }
  | { ok: false; status: 401 | 503; message: string };

export type Identity = { ok: true; user: string; expiresAt?: number } | { ok: false; status: 401 | 403; message: string };

/** What the session route needs from page sign-in (Kubernetes mode, or directory mode's --ui-auth token). */
export interface SessionAuthority {
  /** What the page asks for: a Kubernetes token, or the controller's UI token (default kubernetes). */
  readonly mode?: 'kubernetes' | 'token';
  signIn(token: string): Promise<SignInResult>;
  signOut(req: IncomingMessage): void;
  identify(req: IncomingMessage): Promise<Identity>;
  readonly sessionTtlMs: number;
}

export interface KubeAccessOptions {
  reviewer: Reviewer;
  /** Decision cache lifetime (default 10 s). */
  cacheMs?: number;
  sessionTtlMs?: number;
  now?: () => number;
}

export const TOO_MANY_SESSIONS = 'too many browsers are signed in to this controller right now; try again once some sessions have expired or signed out';

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

function describe(what: AccessRequest): string {
  const res = what.subresource ? `${what.resource}/${what.subresource}` : what.resource;
  const scope = what.namespace ? ` in the namespace "${what.namespace}"` : ' at the cluster scope';
  return `${what.verb ?? 'get'} ${res}${what.name ? ` "${what.name}"` : ''}${scope}`;
}

/**
 * "; try again" where a retry can help. A review refused with 403 is the controller's own RBAC (its
 * ServiceAccount may not create TokenReviews/SubjectAccessReviews): the message already names the
 * missing permission and a retry changes nothing until someone grants it.
 */
export function retryAdvice(err: unknown): string {
  return (err as { status?: unknown } | null | undefined)?.status === 403 ? '' : '; try again';
}

function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

export class KubeAccessControl implements AccessControl, SessionAuthority {
  readonly sessions: BrowserSessionStore;
  private readonly reviews: TtlCache<TokenReviewResult>;
  private readonly decisions: TtlCache<{ allowed: boolean; reason?: string }>;

  constructor(private readonly opts: KubeAccessOptions) {
    const ttlMs = opts.cacheMs ?? 10_000;
    this.reviews = new TtlCache({ ttlMs, ...(opts.now ? { now: opts.now } : {}) });
    this.decisions = new TtlCache({ ttlMs, ...(opts.now ? { now: opts.now } : {}) });
    this.sessions = new BrowserSessionStore({ ...(opts.sessionTtlMs ? { ttlMs: opts.sessionTtlMs } : {}), ...(opts.now ? { now: opts.now } : {}) });
  }

  get sessionTtlMs(): number { return this.sessions.ttlMs; }

  async signIn(token: string): Promise<SignInResult> {
    const t = token.trim();
    if (!t || t.length > 16_384 || /\s/.test(t)) return { ok: false, status: 401, message: 'enter a Kubernetes bearer token (one line, no spaces)' };
    let review: TokenReviewResult;
    try { review = await this.review(t); } catch (err) {
      return { ok: false, status: 503, message: `could not check the token with the Kubernetes API: ${(err as Error).message}` };
    }
    if (!review.authenticated) return { ok: false, status: 401, message: review.message };
    const s = this.sessions.create(t, review.user.username);
    if (!s) return { ok: false, status: 503, message: TOO_MANY_SESSIONS };
    return { ok: true, user: review.user.username, sessionId: s.id, expiresAt: s.expiresAt };
  }

  signOut(req: IncomingMessage): void {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
  }

  async identify(req: IncomingMessage): Promise<Identity> {
    const who = await this.user(req);
    return who.ok ? { ok: true, user: who.user.username, ...(who.expiresAt ? { expiresAt: who.expiresAt } : {}) } : who;
  }

  async check(req: IncomingMessage, what: AccessRequest): Promise<AccessDecision> {
    const who = await this.user(req);
    if (!who.ok) return { allowed: false, status: who.status, message: who.message };
    const u = who.user;
    const key = JSON.stringify([u.username, u.uid ?? '', [...(u.groups ?? [])].sort(), u.extra ?? {}, what.verb ?? 'get', what.resource, what.subresource ?? '', what.namespace ?? '', what.name ?? '']);
    try {
      const d = await this.decisions.get(key, () => this.opts.reviewer.authorize(u, what));
      if (d.allowed) return { allowed: true, user: u.username };
      return { allowed: false, status: 403, message: `${u.username} may not ${describe(what)} (Kubernetes RBAC)${d.reason ? `: ${d.reason}` : ''}` };
    } catch (err) {
      return { allowed: false, status: 403, message: `could not check access with the Kubernetes API (${(err as Error).message})${retryAdvice(err)}` };
    }
  }

  /** The user behind the request's bearer token or session cookie. */
  private async user(req: IncomingMessage): Promise<{ ok: true; user: UserInfo; expiresAt?: number } | { ok: false; status: 401 | 403; message: string }> {
    let token = bearer(req);
    let expiresAt: number | undefined;
    if (!token) {
      const id = readCookie(req.headers.cookie, SESSION_COOKIE);
      const session = id ? this.sessions.get(id) : undefined;
      if (!session) return { ok: false, status: 401, message: id ? 'your session has expired: sign in again with your Kubernetes token' : 'sign in with a Kubernetes bearer token' };
      token = session.token;
      expiresAt = session.expiresAt;
    }
    let review: TokenReviewResult;
    try { review = await this.review(token); } catch (err) {
      return { ok: false, status: 403, message: `could not check the token with the Kubernetes API (${(err as Error).message})${retryAdvice(err)}` };
    }
    if (!review.authenticated) return { ok: false, status: 401, message: `${review.message}: sign in again` };
    return { ok: true, user: review.user, ...(expiresAt ? { expiresAt } : {}) };
  }

  private review(token: string): Promise<TokenReviewResult> {
    return this.reviews.get(hash(token), () => this.opts.reviewer.authenticate(token));
  }
}
