// The planner: desired containers + what the agent observed → the actions that close the gap.
// Pure and total: no I/O, no clock, no exceptions; every decision is a line below with its reason.
import type { ContainerSpec, ObservedContainer } from '../../protocol/container.js';
import { observedRunView, runStateAction } from '../../protocol/run-state.js';

export type Action =
  | { kind: 'apply'; name: string; spec: ContainerSpec; why: string }
  | { kind: 'remove'; name: string; why: string }
  /** Restart in place (restarts.ts): only if the container still has this StartedAt. `at`: the request it honours. */
  | { kind: 'restart'; name: string; startedAt: string; at: string; why: string };

/** A restart request the planner honours (restarts.ts decides which are still pending). */
export interface PlannedRestart { at: string; atMs: number; by?: string; source: string }

export interface PlanInput {
  /** Resolved desired containers by name; a name whose spec failed to resolve is absent here and listed in `unresolved`. */
  desired: ReadonlyMap<string, ContainerSpec>;
  /** Declared containers that could not be resolved (e.g. a missing Secret): left as they are, never removed for it. */
  unresolved: ReadonlySet<string>;
  /** The managed containers the agent reported; undefined while no agent is connected. */
  observed: readonly ObservedContainer[] | undefined;
  /** Containers with an action already in flight (one action per container at a time). */
  inFlight: ReadonlySet<string>;
  /** Containers whose last action failed and that wait out their retry backoff: no action yet. */
  backingOff: ReadonlySet<string>;
  paused: boolean;
  deleting: boolean;
  removalPolicy: 'Delete' | 'Orphan';
  /** Pending restart requests by container (absent: none). */
  restarts?: ReadonlyMap<string, PlannedRestart>;
  /** dependsOn per container (absent: no container has any). */
  dependsOn?: ReadonlyMap<string, ReadonlyArray<{ name: string; condition: 'Started' | 'Healthy' }>>;
  /** Containers held back for a problem in their dependsOn (unknown name, cycle), with the problem. */
  blocked?: ReadonlyMap<string, string>;
}

export interface Plan {
  actions: Action[];
  /** Deleting: true once nothing is left to clean up (the finalizer may go). */
  cleanupDone: boolean;
  /** Containers that need an action but wait out their retry backoff (not in flight: nothing was sent). */
  backingOff: string[];
  /** Containers held back by dependsOn, with the reason (what they wait for), for status. */
  waiting: Map<string, string>;
  /**
   * Every container with a gap left to close (acted on now, in flight, backing off or waiting).
   * A container outside it matches its spec as observed, whatever its last action said.
   */
  pending: Set<string>;
}

export function plan(input: PlanInput): Plan {
  const { observed } = input;
  // No agent, no actions: containers are left exactly as they are.
  const waiting = new Map<string, string>();
  const pending = new Set<string>();
  if (observed === undefined) return { actions: [], cleanupDone: false, backingOff: [], waiting, pending };
  // Deleting with Orphan: nothing to clean up.
  if (input.deleting && input.removalPolicy === 'Orphan') return { actions: [], cleanupDone: true, backingOff: [], waiting, pending };
  // Paused: observe and report only.
  if (!input.deleting && input.paused) return { actions: [], cleanupDone: false, backingOff: [], waiting, pending };

  // One action per container at a time; a container whose last action failed waits for its retry.
  const actions: Action[] = [];
  const backingOff: string[] = [];
  for (const action of input.deleting ? cleanupActions(observed) : convergeActions(input, observed)) {
    pending.add(action.name);
    if (input.inFlight.has(action.name)) continue;
    // Start order: a container that is to run waits until its dependencies are up (creating,
    // recreating or starting it); stopping or removing never waits.
    const wait = action.kind === 'apply' && action.spec.state === 'Running' ? holdBack(action.name, input, observed) : undefined;
    if (wait !== undefined) { waiting.set(action.name, wait); continue; }
    if (input.backingOff.has(action.name)) backingOff.push(action.name);
    else actions.push(action);
  }
  return { actions, cleanupDone: input.deleting && observed.length === 0, backingOff, waiting, pending };
}

/** Why NAME must not be (re)created or started yet, or undefined when its dependencies are up. */
function holdBack(name: string, input: PlanInput, observed: readonly ObservedContainer[]): string | undefined {
  const problem = input.blocked?.get(name);
  if (problem !== undefined) return problem;
  const byName = new Map(observed.map((o) => [o.name, o]));
  for (const dep of input.dependsOn?.get(name) ?? []) {
    const o = byName.get(dep.name);
    const spec = input.desired.get(dep.name);
    if (!o || o.state !== 'running') return `waiting for "${dep.name}" to start`;
    if (spec && o.specHash !== spec.specHash) return `waiting for "${dep.name}" to be recreated with its new spec`;
    if (dep.condition === 'Healthy' && o.health !== 'healthy') return `waiting for "${dep.name}" to be healthy (it is ${o.health})`;
  }
  return undefined;
}

/** Deleting with removalPolicy Delete: every managed container goes. */
function cleanupActions(observed: readonly ObservedContainer[]): Action[] {
  return observed.map((o) => ({ kind: 'remove', name: o.name, why: 'host is being deleted (removalPolicy Delete)' }));
}

/** What would close the gap between desired and observed, before in-flight and backoff hold any back. */
function convergeActions(input: PlanInput, observed: readonly ObservedContainer[]): Action[] {
  const { desired } = input;
  const actions: Action[] = [];
  const byName = new Map(observed.map((o) => [o.name, o]));
  for (const [name, spec] of desired) {
    const o = byName.get(name);
    if (!o) actions.push({ kind: 'apply', name, spec, why: 'missing' });
    else if (o.specHash !== spec.specHash) actions.push({ kind: 'apply', name, spec, why: `spec changed (${o.specHash ?? 'none'} → ${spec.specHash})` });
    else {
      // The agent decides the same way (protocol/run-state.ts); 'wait' is a transition Docker owns.
      const step = runStateAction(spec.state, spec.restartPolicy, observedRunView(o));
      if (step !== 'none' && step !== 'wait') actions.push({ kind: 'apply', name, spec, why: `state ${o.state}, want ${spec.state}` });
      else {
        // A restart request for a running container that started before it: restart in place, once.
        const r = input.restarts?.get(name);
        const started = o.startedAt ? Date.parse(o.startedAt) : NaN;
        if (r && step === 'none' && spec.state === 'Running' && o.state === 'running' && o.startedAt && Number.isFinite(started) && started < r.atMs) {
          actions.push({ kind: 'restart', name, startedAt: o.startedAt, at: r.at, why: `restart requested for ${r.at}${r.by ? ` by ${r.by}` : ''} (${r.source})` });
        }
      }
    }
  }
  if (input.removalPolicy === 'Delete') {
    for (const o of observed) {
      if (desired.has(o.name) || input.unresolved.has(o.name)) continue;
      actions.push({ kind: 'remove', name: o.name, why: 'no longer in spec (removalPolicy Delete)' });
    }
  }
  return actions;
}
