// The planner: desired containers + what the agent observed → the actions that close the gap.
// Pure and total: no I/O, no clock, no exceptions; every decision is a line below with its reason.
import type { ContainerSpec, ObservedContainer } from '../../protocol/container.js';
import { observedRunView, runStateAction } from '../../protocol/run-state.js';

export type Action =
  | { kind: 'apply'; name: string; spec: ContainerSpec; why: string }
  | { kind: 'remove'; name: string; why: string };

export interface PlanInput {
  /** Resolved desired containers by name; a name whose spec failed to resolve is absent here and listed in `unresolved`. */
  desired: ReadonlyMap<string, ContainerSpec>;
  /** Declared containers that could not be resolved (e.g. a missing Secret): left as they are, never removed for it. */
  unresolved: ReadonlySet<string>;
  /** The managed containers the agent reported; undefined while no agent is connected. */
  observed: readonly ObservedContainer[] | undefined;
  /** Containers with an action already in flight (one action per container at a time). */
  inFlight: ReadonlySet<string>;
  paused: boolean;
  deleting: boolean;
  removalPolicy: 'Delete' | 'Orphan';
}

export interface Plan {
  actions: Action[];
  /** Deleting: true once nothing is left to clean up (the finalizer may go). */
  cleanupDone: boolean;
}

export function plan(input: PlanInput): Plan {
  const { desired, observed, inFlight } = input;
  // No agent, no actions: containers are left exactly as they are.
  if (observed === undefined) return { actions: [], cleanupDone: false };

  if (input.deleting) {
    if (input.removalPolicy === 'Orphan') return { actions: [], cleanupDone: true };
    const actions: Action[] = observed
      .filter((o) => !inFlight.has(o.name))
      .map((o) => ({ kind: 'remove', name: o.name, why: 'host is being deleted (removalPolicy Delete)' }));
    return { actions, cleanupDone: observed.length === 0 };
  }
  // Paused: observe and report only.
  if (input.paused) return { actions: [], cleanupDone: false };

  const actions: Action[] = [];
  const byName = new Map(observed.map((o) => [o.name, o]));
  for (const [name, spec] of desired) {
    if (inFlight.has(name)) continue;
    const o = byName.get(name);
    if (!o) actions.push({ kind: 'apply', name, spec, why: 'missing' });
    else if (o.specHash !== spec.specHash) actions.push({ kind: 'apply', name, spec, why: `spec changed (${o.specHash ?? 'none'} → ${spec.specHash})` });
    else {
      // The agent decides the same way (protocol/run-state.ts); 'wait' is a transition Docker owns.
      const step = runStateAction(spec.state, spec.restartPolicy, observedRunView(o));
      if (step !== 'none' && step !== 'wait') actions.push({ kind: 'apply', name, spec, why: `state ${o.state}, want ${spec.state}` });
    }
  }
  if (input.removalPolicy === 'Delete') {
    for (const o of observed) {
      if (desired.has(o.name) || input.unresolved.has(o.name) || inFlight.has(o.name)) continue;
      actions.push({ kind: 'remove', name: o.name, why: 'no longer in spec (removalPolicy Delete)' });
    }
  }
  return { actions, cleanupDone: false };
}
