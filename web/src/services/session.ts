// The browser session, through /api/v1/session: who am I, sign in (a Kubernetes token presented once, answered with an
// HttpOnly session cookie the page never sees), sign out. The token is sent in a JSON body only —
// never in a URL — and is not kept anywhere in the page afterwards.
import type { ApiError, BrowserSessionRefusal, BrowserSessionView, BrowserSignIn, SessionMode } from '../../../protocol/api-views.js';

export type BrowserSessionState =
  | { kind: 'ok'; info: BrowserSessionView }
  /** mode: what to sign in with (a Kubernetes token, or directory mode's UI token). */
  | { kind: 'signed-out'; message: string; mode?: SessionMode }
  | { kind: 'unreachable'; message: string };

async function errorMessage(res: Response): Promise<string> {
  try { const body = await res.json() as Partial<ApiError>; return body.message ?? `HTTP ${res.status}`; } catch { return `HTTP ${res.status}`; }
}

export async function whoAmI(): Promise<BrowserSessionState> {
  let res: Response;
  try { res = await fetch('/api/v1/session', { credentials: 'same-origin', cache: 'no-store' }); } catch {
    return { kind: 'unreachable', message: 'the Berth controller cannot be reached' };
  }
  if (res.status === 401) {
    try { const body = await res.json() as Partial<BrowserSessionRefusal>; return { kind: 'signed-out', message: body.message ?? 'HTTP 401', ...(body.mode ? { mode: body.mode } : {}) }; } catch { return { kind: 'signed-out', message: 'HTTP 401' }; }
  }
  if (!res.ok) return { kind: 'unreachable', message: await errorMessage(res) };
  return { kind: 'ok', info: await res.json() as BrowserSessionView };
}

export async function signIn(token: string): Promise<{ ok: true; user: string } | { ok: false; message: string }> {
  let res: Response;
  try {
    res = await fetch('/api/v1/session', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }),
    });
  } catch { return { ok: false, message: 'the Berth controller cannot be reached' }; }
  if (!res.ok) return { ok: false, message: await errorMessage(res) };
  const body = await res.json() as BrowserSignIn;
  return { ok: true, user: body.user };
}

export async function signOut(): Promise<void> {
  await fetch('/api/v1/session', {
    method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ signOut: true }),
  }).catch(() => undefined);
}
