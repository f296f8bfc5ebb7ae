// Which namespaces a request may see, for the list views (host list, tokens, the page feed).
// RBAC is usually granted per namespace (a RoleBinding), so a user who may not `get containerhosts`
// cluster-wide may still see the hosts of the namespaces they were given: ask cluster-wide first
// (one check covers everything), then per namespace. The AccessControl caches its decisions.
import type { IncomingMessage } from 'node:http';
import type { AccessControl, AccessDecision, AccessRequest } from './access.js';

export type Refusal = Extract<AccessDecision, { allowed: false }>;

export class Visibility {
  private clusterWide: Promise<AccessDecision> | undefined;

  constructor(private readonly access: AccessControl, private readonly req: IncomingMessage, private readonly resource: AccessRequest['resource']) {}

  /** The cluster-wide decision (fresh from the AccessControl's cache each call after `refresh`). */
  overall(): Promise<AccessDecision> {
    this.clusterWide ??= this.access.check(this.req, { resource: this.resource });
    return this.clusterWide;
  }

  /** Forget the cluster-wide answer (the page feed re-checks on every heartbeat). */
  refresh(): void { this.clusterWide = undefined; }

  async canSee(namespace: string): Promise<boolean> {
    const all = await this.overall();
    if (all.allowed) return true;
    if (all.status === 401) return false;
    return (await this.access.check(this.req, { resource: this.resource, namespace })).allowed;
  }

  /**
   * The namespaces (of `present`) this request may see, or the refusal when it may see none of them:
   * 401 when unauthenticated, otherwise 403 with the cluster-wide message.
   */
  async filter(present: Iterable<string>): Promise<{ ok: true; namespaces: Set<string> | 'all' } | { ok: false; refusal: Refusal }> {
    const all = await this.overall();
    if (all.allowed) return { ok: true, namespaces: 'all' };
    if (all.status === 401) return { ok: false, refusal: all };
    const unique = [...new Set(present)];
    const decisions = await Promise.all(unique.map((ns) => this.access.check(this.req, { resource: this.resource, namespace: ns })));
    const allowed = new Set(unique.filter((_, i) => decisions[i]!.allowed));
    return allowed.size ? { ok: true, namespaces: allowed } : { ok: false, refusal: all };
  }
}
