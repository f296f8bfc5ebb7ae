// Pure patch builders for the Kubernetes store (no I/O, unit-tested beside this file).
//
// Status: written as a JSON merge patch (RFC 7386) to the /status subresource. A merge patch MERGES
// objects, so "replace the status" has to be spelled out: every key of the current status that the
// new status no longer has becomes `null` (= delete), at every object level. Arrays (conditions,
// containers) are replaced wholesale by a merge patch, which is what we want.
//
// Finalizers: written as a JSON patch (RFC 6902) whose first op `test`s the exact finalizers array
// we based the change on. Another party adding or removing its own finalizer in between makes the
// test fail (the apiserver answers 422), we re-read and try again — so we never drop, re-add or
// reorder somebody else's finalizer. `metadata.finalizers` is a plain list (no strategic merge for
// CRDs), which is why a merge patch or an update without a precondition would be unsafe.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values (object key order ignored, `undefined` members treated as absent). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** A JSON round trip: drops `undefined` members (which JSON cannot carry) and copies. */
function plain(v: unknown): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

/**
 * The JSON merge patch that turns `from` into `to` (both objects): keys only in `from` → null,
 * changed values → the new value (objects recursively, arrays and scalars whole), equal values →
 * omitted. `undefined` and `null` members count as absent. An empty object means "no change".
 *
 * Limits of RFC 7386, fine for status: a `null` VALUE cannot be written (it means delete), and an
 * array is always replaced as a whole.
 */
export function mergePatchDiff(from: Record<string, unknown> | undefined, to: Record<string, unknown>): JsonObject {
  const patch: JsonObject = {};
  const before = from ?? {};
  for (const [key, value] of Object.entries(before)) {
    if (value !== undefined && value !== null && (to[key] === undefined || to[key] === null)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(to)) {
    if (value === undefined || value === null) continue;
    const old = before[key];
    if (isPlainObject(value) && isPlainObject(old)) {
      const sub = mergePatchDiff(old, value);
      if (Object.keys(sub).length) patch[key] = sub;
    } else if (!jsonEqual(old, value)) {
      // A brand-new object is written whole; nothing in it needs a null.
      patch[key] = plain(value);
    }
  }
  return patch;
}

/** RFC 7386 apply, for tests and for keeping the cache in step without a round trip. */
export function applyMergePatch(target: unknown, patch: unknown): Json {
  if (!isPlainObject(patch)) return plain(patch);
  const result: JsonObject = isPlainObject(target) ? (plain(target) as JsonObject) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (value !== undefined) result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * The body of a status write: a merge patch of the whole object whose `status` member turns the
 * current status into `next`. `metadata.resourceVersion` makes it conditional — the apiserver
 * answers 409 Conflict when the object changed since `resourceVersion`, so a diff computed against a
 * stale copy (where a field we would have to null is missing) is never applied; the caller re-reads
 * and recomputes. Without a current status the whole new status is sent.
 */
export function statusPatchBody(current: Record<string, unknown> | undefined, next: object, resourceVersion: string | undefined): JsonObject {
  const status = mergePatchDiff(current, next as Record<string, unknown>);
  const body: JsonObject = { status };
  if (resourceVersion) body.metadata = { resourceVersion };
  return body;
}

export type JsonPatchOp =
  | { op: 'test'; path: string; value: Json }
  | { op: 'add'; path: string; value: Json }
  | { op: 'remove'; path: string };

/**
 * Ops that add `finalizer` to `current` (the finalizers the object had when read), or undefined if
 * it is already there. With no finalizers the precondition is the resourceVersion (a JSON patch
 * `test` on a missing member is not portable); otherwise the exact array.
 */
export function addFinalizerOps(current: readonly string[] | undefined, finalizer: string, resourceVersion: string | undefined): JsonPatchOp[] | undefined {
  if (current?.includes(finalizer)) return undefined;
  if (!current || current.length === 0) {
    if (!resourceVersion) throw new Error('addFinalizerOps: an object without finalizers needs its resourceVersion as the precondition');
    return [
      { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return [
    { op: 'test', path: '/metadata/finalizers', value: [...current] },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

/** Ops that remove exactly `finalizer` from `current`, or undefined if it is not there. */
export function removeFinalizerOps(current: readonly string[] | undefined, finalizer: string): JsonPatchOp[] | undefined {
  const index = current?.indexOf(finalizer) ?? -1;
  if (!current || index < 0) return undefined;
  return [
    { op: 'test', path: '/metadata/finalizers', value: [...current] },
    { op: 'remove', path: `/metadata/finalizers/${index}` },
  ];
}
