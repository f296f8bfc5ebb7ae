// /api/v1/session — the browser session: how a browser signs in to the status page in Kubernetes
// mode (DESIGN §6). The answers are typed in protocol/api-views.ts (BrowserSessionView, …).
//   GET  → who the request is and what it may see: {mode, user, expiresAt?, can: {hosts, tokens}}
//          or 401 {error, message, mode}. The page asks this first, and again when its page feed
//          or log socket is refused (EventSource and WebSocket cannot read an HTTP status).
//   POST {"token": "..."} → TokenReview; on success a short-lived session cookie (HttpOnly,
//          SameSite=Strict, Path=/api) and {mode, user, expiresAt}; 401 for a token the apiserver
//          does not accept. POST {"signOut": true} ends the browser session.
// This is the surface's ONLY non-GET route and it changes no resource: it creates or drops an
// in-memory browser session. It takes JSON only (a cross-site HTML form cannot send that without a CORS
// preflight, which is never answered) and refuses a foreign Origin. Tokens never travel in URLs.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { BrowserSessionRefusal, BrowserSessionView, BrowserSignIn, BrowserSignOut, SessionMode, ViewPermission } from '../../protocol/api-views.js';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import type { SessionAuthority } from './kube-access.js';
import { sessionCookie } from './sessions.js';
import { Visibility } from './visibility.js';

export const SESSION_PATH = '/api/v1/session';

export interface BrowserSessionRouteOptions { store: Store; access: AccessControl; sessions?: SessionAuthority }

/** Whether an Origin header (if any) names the host the request was sent to. */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try { return new URL(origin).host === req.headers.host; } catch { return false; }
}

function secureRequest(req: Request): boolean {
  return req.secure || String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim() === 'https';
}

export function mountBrowserSession(app: Express, opts: BrowserSessionRouteOptions): void {
  const mode: SessionMode = opts.sessions ? opts.sessions.mode ?? 'kubernetes' : 'anonymous';

  const can = async (req: Request): Promise<BrowserSessionView['can']> => {
    const view = async (resource: 'containerhosts' | 'agenttokens', namespaces: string[]): Promise<ViewPermission> => {
      const r = await new Visibility(opts.access, req, resource).filter(namespaces);
      return r.ok ? { allowed: true } : { allowed: false, message: r.refusal.message };
    };
    return {
      hosts: await view('containerhosts', opts.store.hosts().map((h) => h.metadata.namespace)),
      tokens: await view('agenttokens', opts.store.tokens().map((t) => t.metadata.namespace)),
    };
  };

  app.get(SESSION_PATH, async (req, res) => {
    if (!opts.sessions) { res.json({ mode, user: 'anonymous', can: await can(req) } satisfies BrowserSessionView); return; }
    const who = await opts.sessions.identify(req);
    if (!who.ok) { res.status(who.status).json({ error: who.status === 401 ? 'Unauthorized' : 'Forbidden', message: who.message, mode } satisfies BrowserSessionRefusal); return; }
    res.json({ mode, user: who.user, ...(who.expiresAt ? { expiresAt: new Date(who.expiresAt).toISOString() } : {}), can: await can(req) } satisfies BrowserSessionView);
  });

  const json = express.json({ limit: '32kb', type: 'application/json', strict: true });
  app.post(SESSION_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (!sameOrigin(req)) { res.status(403).json({ error: 'Forbidden', message: 'cross-origin sign-in refused' }); return; }
    if (!req.is('application/json')) { res.status(415).json({ error: 'UnsupportedMediaType', message: 'send the token as JSON: {"token": "..."}' }); return; }
    next();
  }, json, async (req: Request, res: Response) => {
    if (!opts.sessions) { res.status(400).json({ error: 'BadRequest', message: 'this controller does not use sign-in: its page is open to everyone who can reach it' }); return; }
    const body = req.body as { token?: unknown; signOut?: unknown } | undefined;
    if (body?.signOut === true) {
      opts.sessions.signOut(req);
      res.setHeader('Set-Cookie', sessionCookie('', 0, secureRequest(req)));
      res.json({ mode, signedOut: true } satisfies BrowserSignOut);
      return;
    }
    if (typeof body?.token !== 'string') { res.status(400).json({ error: 'BadRequest', message: mode === 'token' ? 'body.token: the UI token (string, the content of <state>/ui-token) is required' : 'body.token: a Kubernetes bearer token (string) is required' }); return; }
    const result = await opts.sessions.signIn(body.token);
    if (!result.ok) { res.status(result.status).json({ error: result.status === 401 ? 'Unauthorized' : 'ServiceUnavailable', message: result.message, mode } satisfies BrowserSessionRefusal); return; }
    res.setHeader('Set-Cookie', sessionCookie(result.sessionId, result.expiresAt - Date.now(), secureRequest(req)));
    res.json({ mode, user: result.user, expiresAt: new Date(result.expiresAt).toISOString() } satisfies BrowserSignIn);
  });
}
