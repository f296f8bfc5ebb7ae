// Resources as the read-only API and the status page show them: everything useful, nothing secret.
// One place for both the JSON routes and the page feed, so the two can never disagree; the shapes
// themselves are protocol/api-views.ts, which the page imports.
import type { HostView, SetView, TokenView } from '../../protocol/api-views.js';
import { keyOf, type AgentToken, type ContainerHost, type ContainerSet, type ResourceKey } from '../api/types.js';

/** The metadata hosts and sets show (the same fields for both kinds). */
function shownMetadata(o: ContainerHost | ContainerSet): HostView['metadata'] {
  const m = o.metadata;
  return {
    namespace: m.namespace, name: m.name, uid: m.uid, generation: m.generation,
    creationTimestamp: m.creationTimestamp, deletionTimestamp: m.deletionTimestamp, labels: m.labels,
  };
}

/**
 * When a connected host's agent was last heard from (the hub's connection, in memory), or undefined.
 * Status no longer carries it while the agent is connected (issue 17: no status write per ping or
 * resync), so the views add it back from here.
 */
export type LastSeen = (key: ResourceKey) => string | undefined;

/** A host as the API shows it: metadata, spec (which holds only Secret references) and status. */
export function hostView(h: ContainerHost, lastSeen?: LastSeen): HostView {
  const status = h.status ?? {};
  const seen = status.agent?.connected ? lastSeen?.(keyOf(h.metadata)) : undefined;
  return {
    metadata: shownMetadata(h),
    spec: h.spec, status: seen && status.agent ? { ...status, agent: { ...status.agent, lastSeenAt: seen } } : status,
  };
}

/** A token as the API shows it: bookkeeping only, never the token (status holds no secret either). */
export function tokenView(t: AgentToken): TokenView {
  return {
    metadata: { namespace: t.metadata.namespace, name: t.metadata.name, uid: t.metadata.uid, creationTimestamp: t.metadata.creationTimestamp },
    spec: t.spec, status: t.status ?? {},
  };
}

/** A ContainerSet as the API shows it: metadata, spec (Secret references only) and status (the rollout's grid). */
export function setView(s: ContainerSet): SetView {
  return {
    metadata: shownMetadata(s),
    spec: s.spec, status: s.status ?? {},
  };
}
