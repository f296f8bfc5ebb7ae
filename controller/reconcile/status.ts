// Computing a ContainerHost's status from what is known right now. Pure: the clock comes in as
// `now`; the previous status only supplies lastTransitionTime for conditions that did not change.
import type { ContainerSpec, DockerFacts, ObservedContainer } from '../../protocol/container.js';
import type { AgentFacts } from '../../protocol/container.js';
import type { Condition, ContainerHost, ContainerHostStatus, ContainerStatus } from '../api/types.js';
import { runStateConverged } from '../../protocol/run-state.js';
import { hostProgress } from './host-progress.js';
import { progressConditions } from './kstatus.js';

export interface AgentView {
  connected: boolean;
  connectedAt?: string;
  lastSeenAt?: string;
  agent?: AgentFacts;
  docker?: DockerFacts;
  /** Managed containers as last reported (kept while disconnected, shown as Unknown). */
  containers?: readonly ObservedContainer[];
}

export interface StatusInput {
  host: ContainerHost;
  agent: AgentView;
  desired: ReadonlyMap<string, ContainerSpec>;
  /** Declared containers that failed to resolve, with the reason. */
  unresolved: ReadonlyMap<string, string>;
  inFlight: ReadonlySet<string>;
  /** The last failed action per container (cleared by a later success). */
  failures: ReadonlyMap<string, string>;
  /** Containers held back by dependsOn, with what they wait for. */
  waiting?: ReadonlyMap<string, string>;
  /** Problems in dependsOn the apiserver cannot refuse (Kubernetes mode: cycles, unknown names). */
  dependencyProblems?: readonly string[];
  now: string;
}

function containerStatus(name: string, spec: ContainerSpec | undefined, o: ObservedContainer | undefined, input: StatusInput): ContainerStatus {
  const observed: Partial<ContainerStatus> = o ? {
    containerID: o.containerID, image: o.image, imageID: o.imageID, health: o.health, restartCount: o.restartCount,
    ...(o.startedAt && !o.startedAt.startsWith('0001-') ? { startedAt: o.startedAt } : {}),
    ...(o.finishedAt && !o.finishedAt.startsWith('0001-') ? { finishedAt: o.finishedAt } : {}),
    ...(o.exitCode !== undefined && o.state === 'exited' ? { exitCode: o.exitCode } : {}),
    ...(o.specHash ? { specHash: o.specHash } : {}),
  } : {};
  const unresolved = input.unresolved.get(name);
  if (unresolved) return { name, ...observed, state: 'Failed', ready: false, message: unresolved };
  if (!input.agent.connected) return { name, ...observed, state: 'Unknown', ready: false, message: 'agent not connected; state as last reported' };
  const failure = input.failures.get(name);
  if (failure && !input.inFlight.has(name)) return { name, ...observed, state: 'Failed', ready: false, message: failure };
  if (!spec) return { name, ...observed, state: o?.state === 'running' ? 'Running' : 'Stopped', ready: false, message: input.host.spec.removalPolicy === 'Orphan' ? 'not in spec; orphaned (removalPolicy Orphan)' : 'not in spec; being removed' };
  const waiting = input.waiting?.get(name);
  if (waiting !== undefined && !input.inFlight.has(name)) {
    const state = o?.state === 'running' ? 'Running' : o?.state === 'exited' ? 'Exited' : 'Pending';
    return { name, ...observed, state, ready: false, message: waiting };
  }
  if (!o) return { name, state: input.inFlight.has(name) ? 'Pulling' : 'Pending', ready: false, message: input.inFlight.has(name) ? 'creating' : 'waiting to be created' };
  const current = o.specHash === spec.specHash;
  const state: ContainerStatus['state'] =
    o.state === 'running' ? 'Running' : o.state === 'restarting' ? 'Restarting'
      : o.state === 'exited' ? (spec.state === 'Stopped' ? 'Stopped' : 'Exited')
        : o.state === 'created' || o.state === 'removing' ? 'Pending' : o.state === 'dead' ? 'Failed' : 'Unknown';
  const ready = spec.state === 'Running' && current && o.state === 'running' && (o.health === 'none' || o.health === 'healthy');
  const message = !current ? (input.inFlight.has(name) ? 'recreating with the new spec' : 'spec changed; will be recreated')
    : !runStateConverged(spec, o) ? (input.inFlight.has(name) ? `converging to ${spec.state}` : `want ${spec.state}`)
      : o.health === 'unhealthy' ? 'healthcheck failing' : o.health === 'starting' ? 'healthcheck starting' : undefined;
  return { name, ...observed, state, ready, ...(message ? { message } : {}) };
}

function condition(type: string, ok: boolean, reason: string, message: string, input: StatusInput, previous?: Condition[]): Condition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  return {
    type, status, reason, message, observedGeneration: input.host.metadata.generation,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : input.now,
  };
}

/** DependenciesValid, on hosts that use dependsOn only (other hosts' status stays as it was). */
function dependencyCondition(input: StatusInput, previous?: Condition[]): Condition[] {
  if (!(input.host.spec.containers ?? []).some((c) => c.dependsOn?.length)) return [];
  const problems = input.dependencyProblems ?? [];
  return [problems.length
    ? condition('DependenciesValid', false, 'InvalidDependencies', `${problems.join('; ')} (the containers concerned are held back)`, input, previous)
    : condition('DependenciesValid', true, 'Valid', 'every dependsOn names a container of this host, without cycles', input, previous)];
}

export function computeHostStatus(input: StatusInput): ContainerHostStatus {
  const { host, agent } = input;
  const previous = host.status?.conditions;
  const observed = new Map((agent.containers ?? []).map((o) => [o.name, o]));
  const declared = (host.spec.containers ?? []).map((c) => c.name);
  const names = [...declared, ...[...observed.keys()].filter((n) => !declared.includes(n)).sort()];
  const containers = names.map((n) => containerStatus(n, input.desired.get(n), observed.get(n), input));

  const wanted = declared.filter((n) => (input.desired.get(n)?.state ?? host.spec.containers?.find((c) => c.name === n)?.state) === 'Running');
  const readyCount = containers.filter((c) => c.ready && wanted.includes(c.name)).length;

  const docker = agent.docker;
  const dockerDown = agent.connected && docker && !docker.ok ? `Docker unavailable: ${docker.error}` : undefined;
  const deleting = host.metadata.deletionTimestamp !== undefined;
  const outOfSync = containers.filter((c) => {
    const spec = input.desired.get(c.name);
    const o = observed.get(c.name);
    if (!spec) return declared.includes(c.name) || host.spec.removalPolicy === 'Delete';
    return !o || o.specHash !== spec.specHash || !runStateConverged(spec, o) || input.failures.has(c.name);
  });

  const agentCondition = agent.connected
    ? condition('AgentConnected', true, 'Connected', `agent ${agent.agent?.version ?? ''} on ${agent.agent?.hostname ?? 'unknown host'}`.replace('  ', ' '), input, previous)
    : condition('AgentConnected', false, agent.lastSeenAt ? 'Disconnected' : 'NeverConnected',
      agent.lastSeenAt ? `agent last seen ${agent.lastSeenAt}` : 'no agent has connected for this host yet', input, previous);

  let synced: Condition;
  if (deleting) {
    synced = condition('Synced', false, agent.connected ? 'CleaningUp' : 'CleanupWaitingForAgent',
      agent.connected ? 'removing managed containers before the host goes' : 'host is being deleted; waiting for its agent to remove the managed containers (annotate berth.dev/force-delete: "true" to skip)', input, previous);
  } else if (!agent.connected) {
    synced = condition('Synced', false, 'AgentDisconnected', 'no agent connected; nothing is dispatched and containers are left as they are', input, previous);
  } else if (dockerDown) {
    synced = condition('Synced', false, 'DockerUnavailable', dockerDown, input, previous);
  } else if (host.spec.paused) {
    synced = condition('Synced', outOfSync.length === 0, 'Paused', outOfSync.length ? `paused; out of sync: ${outOfSync.map((c) => c.name).join(', ')}` : 'paused; in sync', input, previous);
  } else if (outOfSync.length) {
    const failed = outOfSync.filter((c) => c.state === 'Failed');
    const waiting = outOfSync.filter((c) => input.waiting?.has(c.name) && !input.inFlight.has(c.name));
    synced = failed.length ? condition('Synced', false, 'Failed', failed.map((c) => `${c.name}: ${c.message ?? 'failed'}`).join('; '), input, previous)
      // Everything left waits for its dependencies (dependsOn): say what each waits for.
      : waiting.length === outOfSync.length ? condition('Synced', false, 'WaitingForDependencies', waiting.map((c) => `${c.name}: ${c.message}`).join('; '), input, previous)
        : condition('Synced', false, 'Progressing', `converging: ${outOfSync.map((c) => c.name).join(', ')}`, input, previous);
  } else {
    synced = condition('Synced', true, 'Synced', 'every container matches its spec', input, previous);
  }

  const notReady = wanted.filter((n) => !containers.find((c) => c.name === n)?.ready);
  const ready = synced.status === 'True' && notReady.length === 0
    ? condition('Ready', true, 'Ready', `${readyCount}/${wanted.length} containers ready`, input, previous)
    : condition('Ready', false, synced.status !== 'True' ? synced.reason : 'ContainersNotReady',
      synced.status !== 'True' ? synced.message : `not ready: ${notReady.join(', ')}`, input, previous);
  // kstatus' Reconciling/Stalled, from the same facts (host-progress.ts).
  const kstatus = progressConditions(hostProgress({ input, containers, synced, ready }), host.metadata.generation, input.now, previous);

  return {
    observedGeneration: host.metadata.generation,
    agent: {
      connected: agent.connected,
      ...(agent.connectedAt ? { connectedAt: agent.connectedAt } : {}),
      // Only once the agent is gone: while it is connected, lastSeenAt moves with every ping and
      // report, and writing it would rewrite a converged fleet's status at each resync (issue 17).
      // Live liveness is served from memory (hostView's overlay) and metrics instead.
      ...(!agent.connected && agent.lastSeenAt ? { lastSeenAt: agent.lastSeenAt } : {}),
      ...(agent.agent ? { version: agent.agent.version, hostname: agent.agent.hostname, os: agent.agent.os, arch: agent.agent.arch } : {}),
      ...(docker?.ok ? { dockerVersion: docker.version, ...(docker.apiVersion ? { dockerAPIVersion: docker.apiVersion } : {}), ...(docker.minAPIVersion ? { dockerMinAPIVersion: docker.minAPIVersion } : {}), cpus: docker.cpus, memoryBytes: docker.memoryBytes } : {}),
    },
    containers,
    ready: `${readyCount}/${wanted.length}`,
    conditions: [agentCondition, synced, ready, ...dependencyCondition(input, previous), ...kstatus],
  };
}
