// The finalizer rule, in the style of kube-rs's `finalizer()`: one place decides, from the resource,
// whether a reconcile applies it or cleans up after it, and when our finalizer is added and dropped.
//   - deleting, with the force-delete annotation → drop the finalizer, no cleanup (containers stay);
//   - deleting → clean up; drop the finalizer once the cleanup says it is done;
//   - otherwise → make sure the finalizer is there (before anything is created), then apply.
// The store calls come in as functions, so the rule is tested without a store.
import { ANNOTATIONS } from '../api/types.js';

export interface FinalizerOps {
  /** Add our finalizer if absent. */
  ensure(): Promise<void>;
  /** Drop our finalizer (only ours), letting a resource being deleted go. */
  remove(): Promise<void>;
}

export interface FinalizerHandlers<R> {
  /** Not deleting: make the resource what it should be. */
  apply(): Promise<R>;
  /** Deleting: make progress on the cleanup; `done` once nothing is left (the finalizer then goes). */
  cleanup(): Promise<{ done: true } | { done: false; result: R }>;
  /** Deleting with the force-delete annotation: called before the finalizer is dropped (say why). */
  forced?(): void;
}

export type FinalizerOutcome<R> =
  | { phase: 'applied'; result: R }
  /** Deleting, and the cleanup is not done yet: the finalizer stays. */
  | { phase: 'cleaning'; result: R }
  /** Our finalizer was dropped: the store may let the resource go. `forced`: without cleanup. */
  | { phase: 'released'; forced: boolean };

export interface Finalizable {
  metadata: { deletionTimestamp?: string; annotations?: Record<string, string> };
}

/** `signal` is checked before each finalizer change (a reconcile aborted must not change it). */
export async function finalizer<R>(resource: Finalizable, ops: FinalizerOps, handlers: FinalizerHandlers<R>, signal: AbortSignal): Promise<FinalizerOutcome<R>> {
  const { metadata } = resource;
  if (metadata.deletionTimestamp === undefined) {
    signal.throwIfAborted();
    await ops.ensure();
    return { phase: 'applied', result: await handlers.apply() };
  }
  if (metadata.annotations?.[ANNOTATIONS.forceDelete] === 'true') {
    signal.throwIfAborted();
    handlers.forced?.();
    await ops.remove();
    return { phase: 'released', forced: true };
  }
  const cleanup = await handlers.cleanup();
  if (!cleanup.done) return { phase: 'cleaning', result: cleanup.result };
  signal.throwIfAborted();
  await ops.remove();
  return { phase: 'released', forced: false };
}
