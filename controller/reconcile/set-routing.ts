// Which keys a store change concerns once ContainerSets exist: a set and the hosts of its
// namespace look at each other. Kept out of controller.ts (wiring only).
//   set changed (spec, or its own status write: new assignments)  → the hosts of its namespace
//   host changed (labels move it in/out; its status write: health) → the sets of its namespace
//   Secret or ConfigMap changed (a template's resolved spec hash)    → the sets of its namespace
// Both directions settle: a reconcile that changes nothing writes nothing.
import { keyOf, splitKey, type ResourceKey } from '../api/types.js';
import type { Store, StoreChange } from '../store/store.js';

export function routeSetChange(store: Pick<Store, 'hosts' | 'sets'>, change: StoreChange, enqueueSet: (k: ResourceKey) => void, enqueueHost: (k: ResourceKey) => void): void {
  if (change.kind === 'AgentToken') return;
  const { namespace } = splitKey(change.key);
  if (change.kind === 'ContainerSet') {
    for (const h of store.hosts()) if (h.metadata.namespace === namespace) enqueueHost(keyOf(h.metadata));
  } else {
    for (const s of store.sets()) if (s.metadata.namespace === namespace) enqueueSet(keyOf(s.metadata));
  }
}
