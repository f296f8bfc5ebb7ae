// Small object helpers the stores and the cache share.
import { keyOf } from '../api/types.js';

/** The object without its undefined members (what JSON would write, kept as an object). */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Orders resources by "<namespace>/<name>", the order every list of the API has. */
export function byKey(a: { metadata: { namespace: string; name: string } }, b: { metadata: { namespace: string; name: string } }): number {
  const ka = keyOf(a.metadata);
  const kb = keyOf(b.metadata);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
