// Who may read what through the read-only HTTP surface (DESIGN §6). Every route and WebSocket that
// shows resource data asks an AccessControl first; the HTTP layer knows nothing of how it decides.
//  - Directory mode binds 127.0.0.1 and is anonymous: `anonymousAccess`.
//  - Kubernetes mode authenticates a bearer token or session cookie with TokenReview and authorizes
//    with SubjectAccessReview (`get containerhosts`, `get containerhosts/logs`, `get agenttokens`, `get containersets`).
import type { IncomingMessage } from 'node:http';

/** What a request wants, in Kubernetes RBAC terms (the verb is `get` unless it says otherwise). */
export interface AccessRequest {
  /** `create` only for `containerhosts/exec` (controller/operate/, never the page's read-only surface). */
  verb?: 'get' | 'create';
  resource: 'containerhosts' | 'agenttokens' | 'containersets';
  /** `logs` for live log tails of a host's containers; `exec` for `berth exec`. */
  subresource?: 'logs' | 'exec';
  /** Absent: across namespaces (a list). */
  namespace?: string;
  name?: string;
}

export type AccessDecision =
  | { allowed: true; user: string }
  /** 401: not authenticated (no or bad credentials); 403: authenticated but not allowed. The message is shown to the user. */
  | { allowed: false; status: 401 | 403; message: string };

export interface AccessControl {
  check(req: IncomingMessage, what: AccessRequest): Promise<AccessDecision>;
}

/** Directory mode: the controller listens on loopback only, and everyone who reaches it may read. */
export const anonymousAccess: AccessControl = {
  check: async () => ({ allowed: true, user: 'anonymous' }),
};
