// The apiserver's answers to "who is this token?" (TokenReview) and "may they do that?"
// (SubjectAccessReview), for the status page's access control in Kubernetes mode. The HTTP layer
// only sees the Reviewer interface (controller/http/kube-access.ts); this module is the one place
// that speaks to the apiserver for it, in controller/kube/ (the only folder allowed to import
// @kubernetes/client-node). The controller's ServiceAccount needs `create tokenreviews`
// (authentication.k8s.io) and `create subjectaccessreviews` (authorization.k8s.io).
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { KubeApi } from './api.js';

export interface UserInfo { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }

export type TokenReviewResult = { authenticated: true; user: UserInfo } | { authenticated: false; message: string };

/** What to authorize, in RBAC terms (always group berth.dev; verb get unless given). */
export interface ReviewAttributes { verb?: string; resource: string; subresource?: string; namespace?: string; name?: string }

export interface Reviewer {
  /**
   * Whether the bearer token is valid, and whose it is. Throws when the apiserver cannot answer; a
   * KubeError with status 403 (its message with the RBAC hint) when the controller may not ask.
   */
  authenticate(token: string): Promise<TokenReviewResult>;
  /** Whether `user` may `get` (or what.verb) the resource. Throws as authenticate() does. */
  authorize(user: UserInfo, what: ReviewAttributes): Promise<{ allowed: boolean; reason?: string }>;
}

export function kubeReviewer(kc: KubeConfig, options: { timeoutMs?: number } = {}): Reviewer {
  const api = new KubeApi(kc, { timeoutMs: options.timeoutMs ?? 10_000 });
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async authenticate(token) {
      const review = await api.call('TokenReview', () => authn.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      }, api.options()));
      const s = review.status;
      if (!s?.authenticated || !s.user?.username) return { authenticated: false, message: s?.error ? `token rejected: ${s.error}` : 'token not accepted by the Kubernetes API' };
      return {
        authenticated: true,
        user: {
          username: s.user.username,
          ...(s.user.uid ? { uid: s.user.uid } : {}),
          ...(s.user.groups ? { groups: s.user.groups } : {}),
          ...(s.user.extra ? { extra: s.user.extra } : {}),
        },
      };
    },
    async authorize(user, what) {
      const review = await api.call('SubjectAccessReview', () => authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.groups ? { groups: user.groups } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            resourceAttributes: {
              group: 'berth.dev', verb: what.verb ?? 'get', resource: what.resource,
              ...(what.subresource ? { subresource: what.subresource } : {}),
              ...(what.namespace ? { namespace: what.namespace } : {}),
              ...(what.name ? { name: what.name } : {}),
            },
          },
        },
      }, api.options()));
      const s = review.status;
      return { allowed: s?.allowed === true && s.denied !== true, ...(s?.reason ? { reason: s.reason } : {}) };
    },
  };
}
