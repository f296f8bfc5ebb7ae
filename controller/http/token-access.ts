// Directory mode's page sign-in (`--ui-auth token`, issue 12): the page, API, page feed and log
// tails off loopback. The credential is the UI token the controller keeps in `<state>/ui-token`
// (controller/operate/ui-token.ts, the same one `berth exec` uses): an API client sends it as an
// Authorization bearer header; a browser presents it once (POST /api/v1/session) and gets the same
// HttpOnly, SameSite=Strict session cookie Kubernetes mode gives (BrowserSessionStore). Whoever holds
// the token may read everything (directory mode has no RBAC); comparisons are constant-time.
import type { IncomingMessage } from 'node:http';
import { tokenMatches } from '../operate/ui-token.js';
import { bearerOf } from '../operate/operator-access.js';
import type { AccessControl, AccessDecision } from './access.js';
import { TOO_MANY_SESSIONS, type Identity, type SessionAuthority, type SignInResult } from './kube-access.js';
import { BrowserSessionStore, readCookie, SESSION_COOKIE } from './sessions.js';

/** The user name the UI token stands for (in the page's header, Events and logs). */
export const UI_TOKEN_USER = 'ui-token';

export interface UiTokenAccessOptions {
  /** The UI token (read from the state directory at start). */
  token: () => string;
  sessionTtlMs?: number;
  maxSessions?: number;
  maxPerUser?: number;
  now?: () => number;
}

export class UiTokenAccessControl implements AccessControl, SessionAuthority {
  readonly mode = 'token' as const;
  readonly sessions: BrowserSessionStore;

  constructor(private readonly opts: UiTokenAccessOptions) {
    this.sessions = new BrowserSessionStore({
      ...(opts.sessionTtlMs ? { ttlMs: opts.sessionTtlMs } : {}), ...(opts.now ? { now: opts.now } : {}),
      // Every browser signed in with the UI token is the same user: room for a team's browsers.
      ...(opts.maxSessions ? { maxSessions: opts.maxSessions } : {}), maxPerUser: opts.maxPerUser ?? 64,
    });
  }

  get sessionTtlMs(): number { return this.sessions.ttlMs; }

  async signIn(token: string): Promise<SignInResult> {
    const t = token.trim();
    if (!t || t.length > 1024 || !tokenMatches(t, this.opts.token())) {
      return { ok: false, status: 401, message: 'that is not this controller\'s UI token: paste the content of <state>/ui-token (default .berth/state/ui-token)' };
    }
    const s = this.sessions.create(t, UI_TOKEN_USER);
    if (!s) return { ok: false, status: 503, message: TOO_MANY_SESSIONS };
    return { ok: true, user: UI_TOKEN_USER, sessionId: s.id, expiresAt: s.expiresAt };
  }

  signOut(req: IncomingMessage): void {
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
  }

  async identify(req: IncomingMessage): Promise<Identity> {
    const presented = bearerOf(req);
    if (presented !== undefined) {
      return tokenMatches(presented, this.opts.token()) ? { ok: true, user: UI_TOKEN_USER }
        : { ok: false, status: 401, message: 'the bearer token is not this controller\'s UI token (<state>/ui-token)' };
    }
    const id = readCookie(req.headers.cookie, SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    // A session outlives nothing: the token it was made with must still be the controller's.
    if (!session || !tokenMatches(session.token, this.opts.token())) {
      return { ok: false, status: 401, message: id ? 'your session has expired: sign in again with the UI token' : 'sign in with the UI token (the content of <state>/ui-token)' };
    }
    return { ok: true, user: session.user, expiresAt: session.expiresAt };
  }

  async check(req: IncomingMessage): Promise<AccessDecision> {
    const who = await this.identify(req);
    return who.ok ? { allowed: true, user: who.user } : { allowed: false, status: 401, message: who.message };
  }
}
