// Who may run an operator action (`berth exec`; `berth restart` in directory mode). Unlike the
// page's read-only surface, these act, so:
//  - the credential must be an Authorization bearer header: a browser's session cookie is never
//    enough (no page, and no cross-site request riding a cookie, can exec);
//  - directory mode is never anonymous: the header must carry the UI token (ui-token.ts);
//  - Kubernetes mode asks TokenReview and SubjectAccessReview `create containerhosts/exec` (the
//    same verb and subresource as `pods/exec`), through the page's KubeAccessControl and its caches.
import type { IncomingMessage } from 'node:http';
import type { AccessControl } from '../http/access.js';
import { tokenMatches } from './ui-token.js';

export type OperatorAction = 'exec' | 'restart';
export interface OperatorTarget { namespace: string; name: string }

export type OperatorDecision = { allowed: true; user: string } | { allowed: false; status: 401 | 403; message: string };

export interface OperatorAccess {
  /** 'directory' or 'kubernetes', for messages. */
  readonly mode: 'directory' | 'kubernetes';
  check(req: IncomingMessage, action: OperatorAction, target: OperatorTarget): Promise<OperatorDecision>;
}

export function bearerOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

const NO_BEARER = 'operator actions need a bearer token in the Authorization header (a browser session cannot exec or restart)';

/** Directory mode: the UI token from the state directory. */
export function uiTokenAccess(readToken: () => string): OperatorAccess {
  return {
    mode: 'directory',
    async check(req) {
      const presented = bearerOf(req);
      if (!presented) return { allowed: false, status: 401, message: `${NO_BEARER}: berth reads it from <state>/ui-token (--token-file)` };
      if (!tokenMatches(presented, readToken())) return { allowed: false, status: 401, message: 'the token is not this controller\'s UI token (<state>/ui-token)' };
      return { allowed: true, user: 'ui-token' };
    },
  };
}

/** Kubernetes mode: TokenReview + SubjectAccessReview `create containerhosts/exec`. */
export function kubeOperatorAccess(access: AccessControl): OperatorAccess {
  return {
    mode: 'kubernetes',
    async check(req, action, target) {
      if (!bearerOf(req)) return { allowed: false, status: 401, message: NO_BEARER };
      if (action === 'restart') return { allowed: false, status: 403, message: 'in Kubernetes mode a restart is an annotation on the ContainerHost: `berth restart --kube` patches it with your own credentials' };
      const d = await access.check(req, { verb: 'create', resource: 'containerhosts', subresource: 'exec', namespace: target.namespace, name: target.name });
      return d.allowed ? { allowed: true, user: d.user } : d;
    },
  };
}

/** No operator credential configured (e.g. Kubernetes mode with --ui-auth=none): every action refused. */
export const noOperatorAccess: OperatorAccess = {
  mode: 'kubernetes',
  check: async () => ({ allowed: false, status: 403, message: 'operator actions (exec, restart) are off on this controller: it runs without an authenticator (--ui-auth=none)' }),
};
