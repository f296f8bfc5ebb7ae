// Admission of an agent connection BEFORE the WebSocket upgrade: the bearer token is read from the
// Authorization header only (a token in the URL is refused outright: URLs end up in proxy and
// access logs), and checked by the injected `authenticate`. A refusal is a plain HTTP answer written
// with the same helper the upgrade router uses for unknown paths, so both look alike on the wire.
// Nothing here logs; nothing here ever puts a token in a reason.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { refuseUpgrade } from '../lib/refuse-upgrade.js';

/** What `authenticate` answers. `code` (bounded set) labels the auth-failure metric; `reason` is the 401 body. */
export type AuthResult =
  /** `credential`: an enrolling agent's new long-lived credential, handed over once in `welcome`. */
  | { ok: true; hostKey: string; tokenUid?: string; issuedAt?: Date; expiresAt?: Date; credential?: string }
  | { ok: false; reason: string; code?: string };
export type Authenticated = Extract<AuthResult, { ok: true }>;
/** What the handshake tells `authenticate` besides the token (enrollment records where an agent came from). */
export interface AuthContext { remoteAddress?: string }
export type Authenticate = (jwt: string, ctx: AuthContext) => AuthResult | Promise<AuthResult>;

/** A refused connection: the HTTP status, the metric label, the reason the agent reads, and (for logs only) why authenticate threw. */
export interface Refusal { ok: false; status: number; code: string; reason: string; cause?: string }

/** Query parameters that carry credentials in other systems; their presence is refused outright. */
const TOKEN_PARAMS = /^(token|access_token|accesstoken|jwt|bearer|auth|authorization|id_token)$/i;
const LOOKS_LIKE_JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;
const BEARER = /^Bearer +(\S+) *$/i;

/** The bearer token of an upgrade request, or why there is none to accept. */
export function bearerToken(req: IncomingMessage, url: URL): string | Refusal {
  for (const [name, value] of url.searchParams) {
    if (TOKEN_PARAMS.test(name) || LOOKS_LIKE_JWT.test(value)) {
      return refusal(401, 'token_in_url', 'tokens in the URL are refused; send the token in an Authorization: Bearer header');
    }
  }
  const header = req.headers.authorization;
  const m = header ? BEARER.exec(header) : null;
  return m?.[1] ?? refusal(401, 'missing_bearer', 'missing bearer token (Authorization: Bearer <token>)');
}

/** Run `authenticate`; never throws: a throw becomes a 503 (retry later) carrying its `cause`. */
export async function checkToken(jwt: string, authenticate: Authenticate, ctx: AuthContext = {}): Promise<Authenticated | Refusal> {
  let auth: AuthResult;
  try {
    auth = await authenticate(jwt, ctx);
  } catch (err) {
    return { ...refusal(503, 'auth_error', 'authentication unavailable, retry later'), cause: String((err as Error)?.message ?? err) };
  }
  return auth.ok ? auth : refusal(401, (auth.code ?? auth.reason).slice(0, 64), auth.reason);
}

export function refusal(status: number, code: string, reason: string): Refusal {
  return { ok: false, status, code, reason };
}

const ERROR_NAMES: Record<number, string> = { 401: 'Unauthorized', 500: 'InternalError', 503: 'ServiceUnavailable' };

/** Answer the agent's handshake with an HTTP refusal (401s name the bearer scheme) and drop the socket. */
export function refuseAgent(socket: Duplex, status: number, reason: string): void {
  refuseUpgrade(socket, status, { error: ERROR_NAMES[status] ?? 'Error', message: reason },
    status === 401 ? ['WWW-Authenticate: Bearer realm="berth-agent"'] : []);
}
