// Where a ContainerHost stands for kstatus (see kstatus.ts): decided from the same facts as its
// status, in this order — being deleted; paused; invalid dependsOn; a container that cannot
// converge without an outside change (stall-reasons.ts); no agent or no Docker to act through; converging; Ready.
// Pure.
import type { Condition, ContainerStatus } from '../api/types.js';
import type { Progress } from './kstatus.js';
import type { StatusInput } from './status.js';
import { classifyFailure, splitFailure, STALLED_REASONS, type StalledReasonName } from './stall-reasons.js';

/** The reasons `Reconciling` carries for a ContainerHost (True unless noted), documented per reason. */
export const RECONCILING_REASONS: ReadonlyArray<{ reason: string; when: string }> = [
  { reason: 'WaitingForAgent', when: 'no agent has connected for this host yet' },
  { reason: 'AgentDisconnected', when: 'the agent went away; nothing is dispatched until it reconnects (routine during agent restarts and controller failover, so not Stalled)' },
  { reason: 'DockerUnavailable', when: 'the agent is connected but cannot reach its Docker Engine' },
  { reason: 'Progressing', when: 'containers are being created, recreated, started or stopped' },
  { reason: 'WaitingForDependencies', when: 'what is left to converge waits for its dependsOn containers' },
  { reason: 'Retrying', when: 'an action failed for a reason that may pass (a timeout, the network, the engine); it is retried with backoff' },
  { reason: 'ContainersNotReady', when: 'every container matches its spec but one is not ready yet (e.g. its healthcheck is starting or failing)' },
  { reason: 'CleaningUp / CleanupWaitingForAgent', when: 'the host is being deleted' },
  { reason: 'Stalled', when: 'False: see Stalled' },
  { reason: 'Paused', when: 'False: spec.paused; nothing is dispatched on purpose' },
  { reason: 'Ready', when: 'False: converged and Ready' },
];

export interface HostFacts {
  input: StatusInput;
  containers: readonly ContainerStatus[];
  synced: Condition;
  ready: Condition;
}

/** Containers whose failure stalls the host, in status order, with the reason of each. */
function stalledContainers({ input, containers }: HostFacts): Array<{ name: string; reason: StalledReasonName; message: string }> {
  const out: Array<{ name: string; reason: StalledReasonName; message: string }> = [];
  for (const c of containers) {
    // A failed resolution stalls with or without an agent; an action's failure only counts while
    // the agent that reported it is there and no newer attempt is under way.
    const failure = input.unresolved.get(c.name)
      ?? (input.agent.connected && !input.inFlight.has(c.name) ? input.failures.get(c.name) : undefined);
    if (!failure) continue;
    const verdict = classifyFailure(failure);
    if (verdict.stalled) out.push({ name: c.name, reason: verdict.reason, message: splitFailure(failure).message });
  }
  return out;
}

export function hostProgress(facts: HostFacts): Progress {
  const { input, synced, ready } = facts;
  const { host, agent } = input;
  if (host.metadata.deletionTimestamp !== undefined) return { state: 'reconciling', reason: synced.reason, message: synced.message };
  if (host.spec.paused) return { state: 'settled', reason: 'Paused', message: `paused (spec.paused): nothing is dispatched; ${synced.message}` };

  // A dependsOn cycle or unknown name holds its containers back until the spec changes.
  const problems = input.dependencyProblems ?? [];
  if (problems.length) {
    return { state: 'stalled', reason: 'InvalidDependencies', message: `${problems.join('; ')} — ${STALLED_REASONS.InvalidDependencies.fix}` };
  }
  const stalled = stalledContainers(facts);
  if (stalled.length) {
    const first = stalled[0]!;
    return {
      state: 'stalled', reason: first.reason,
      message: `${stalled.map((s) => `${s.name}: ${s.message}`).join('; ')} — ${STALLED_REASONS[first.reason].fix}`,
    };
  }
  if (!agent.connected) {
    return agent.lastSeenAt
      ? { state: 'reconciling', reason: 'AgentDisconnected', message: `waiting for the agent to reconnect (last seen ${agent.lastSeenAt})` }
      : { state: 'reconciling', reason: 'WaitingForAgent', message: 'waiting for an agent to connect for this host' };
  }
  if (synced.reason === 'DockerUnavailable') return { state: 'reconciling', reason: 'DockerUnavailable', message: synced.message };
  if (synced.status !== 'True') return { state: 'reconciling', reason: synced.reason === 'Failed' ? 'Retrying' : synced.reason, message: synced.message };
  if (ready.status !== 'True') return { state: 'reconciling', reason: ready.reason, message: ready.message };
  return { state: 'settled', reason: 'Ready', message: ready.message };
}
