// A declaration's spec is shared, not copied, between what the directory store keeps of the file
// (its SourceResource, persisted in state.json) and the object it serves from the cache: a
// structuredClone per host was ~63 MiB at 10,000 hosts × 10 containers (issue 17, item 3). Frozen,
// so a reader that tried to change it in place would fail at once (strict mode) instead of
// silently changing what the store persists. Kubernetes mode serves informer objects the same way.

/** VALUE, with every object and array in it frozen (in place); returned for convenience. */
export function deepFrozen<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const v of Object.values(value as Record<string, unknown>)) deepFrozen(v);
  return Object.freeze(value);
}
