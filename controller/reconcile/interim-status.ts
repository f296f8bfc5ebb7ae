// When a host's status is "in between" — actions dispatched to its agent, none failed, not Ready —
// writing it costs a whole status write that the next pass replaces a moment later: a cold host's
// creates take well under a second each on a local dockerd, so its status went NeverConnected →
// Progressing → Ready, and in Kubernetes mode each step is a PATCH the fleet waits behind
// (bench/scale --modes kube: ~2 host status writes per host to Ready against the floor's 1).
//
// So an interim status waits up to INTERIM_STATUS_DELAY_MS after the host's first action of the
// round was dispatched. If the actions finish within it, the next pass writes the final status
// once; if not (a long image pull), the interim status is written when the delay is over, so a
// user still sees Progressing within seconds. Ready, failures, deletion and anything without
// actions in flight are written at once, as before — and so is any change away from a stored
// Ready=True: a recreation a Secret or ConfigMap change asked for does not move the generation, so
// holding it back would leave the old Ready=True standing while containers are replaced (and
// `kubectl wait` would believe it). Only the way TO Ready (a new host, an agent's first connection,
// a spec change that bumped the generation) is coalesced.

/** How long an interim (actions in flight) status may wait for the actions to finish. */
export const INTERIM_STATUS_DELAY_MS = 1_500;

export interface InterimInput {
  /** The status about to be written says Ready=True. */
  ready: boolean;
  /** The status stored now says Ready=True for the current generation. */
  wasReady: boolean;
  deleting: boolean;
  /** Actions in flight for the host now. */
  inFlight: number;
  /** Containers whose last action failed. */
  failures: number;
  /** When the first of the in-flight actions of this round was dispatched (ms), if any. */
  dispatchedAtMs: number | undefined;
  nowMs: number;
  delayMs?: number;
}

/** How long to hold the status write back (ms); 0: write it now. */
export function interimStatusWait(i: InterimInput): number {
  if (i.ready || i.wasReady || i.deleting || i.inFlight === 0 || i.failures > 0 || i.dispatchedAtMs === undefined) return 0;
  const left = (i.delayMs ?? INTERIM_STATUS_DELAY_MS) - (i.nowMs - i.dispatchedAtMs);
  return left > 0 ? Math.ceil(left) : 0;
}
