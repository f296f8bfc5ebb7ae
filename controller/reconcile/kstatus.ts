// kstatus' two conditions, for any kind: `Reconciling` (True while the controller works towards
// the spec) and `Stalled` (True when it cannot get there without a change from outside). They are
// never both True. GitOps tools (Flux, kubectl/cli-utils waiters, Argo CD's script for Berth) read
// them with status.observedGeneration: Stalled → Failed, Reconciling → InProgress, otherwise Ready.
// Pure: the clock comes in as `now`, the previous conditions only keep lastTransitionTime.
import type { Condition } from '../api/types.js';

/** Where a resource stands, as a reconciler judged it. */
export type Progress =
  | { state: 'reconciling'; reason: string; message: string }
  | { state: 'stalled'; reason: string; message: string }
  /** Nothing to do: converged (`Ready`), or on purpose (`Paused`). */
  | { state: 'settled'; reason: string; message: string };

function condition(type: string, status: boolean, reason: string, message: string, generation: number, now: string, previous?: readonly Condition[]): Condition {
  const s = status ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  return { type, status: s, reason, message, observedGeneration: generation, lastTransitionTime: before && before.status === s ? before.lastTransitionTime : now };
}

/** [Reconciling, Stalled] for PROGRESS at GENERATION. */
export function progressConditions(progress: Progress, generation: number, now: string, previous?: readonly Condition[]): [Condition, Condition] {
  const { state, reason, message } = progress;
  return [
    condition('Reconciling', state === 'reconciling', state === 'stalled' ? 'Stalled' : reason, message, generation, now, previous),
    condition('Stalled', state === 'stalled', reason, message, generation, now, previous),
  ];
}
