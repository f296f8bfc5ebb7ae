// Resources as the read-only API and the status page show them: everything useful, nothing secret.
// One place for both the JSON routes and the page feed, so the two can never disagree; the shapes
// themselves are protocol/api-views.ts, which the page imports.
import type { HostView, SetView, TokenView } from '../../protocol/api-views.js';
import type { AgentToken, ContainerHost, ContainerSet } from '../api/types.js';

/** The metadata hosts and sets show (the same fields for both kinds). */
function shownMetadata(o: ContainerHost | ContainerSet): HostView['metadata'] {
  const m = o.metadata;
  return {
    namespace: m.namespace, name: m.name, uid: m.uid, generation: m.generation,
    creationTimestamp: m.creationTimestamp, deletionTimestamp: m.deletionTimestamp, labels: m.labels,
  };
}

/** A host as the API shows it: metadata, spec (which holds only Secret references) and status. */
export function hostView(h: ContainerHost): HostView {
  return {
    metadata: shownMetadata(h),
    spec: h.spec, status: h.status ?? {},
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
