// What the agent needs from a container engine. The WebSocket client only talks to this interface,
// so a simulated runtime (for benchmarks of the controller and hub at scale) can stand in for Docker.
// Nothing here names Docker types: specs and observations are the protocol's shapes.
import type { ContainerSpec, DockerFacts, HostPolicy, NetworkSpec, ObservedContainer, PullAuth } from '../protocol/container.js';

/**
 * Error codes an action can fail with; they travel to the controller in `result.error.code` and end
 * up in the container's status message, so each names a cause an operator can act on.
 */
export type RuntimeErrorCode =
  | 'PolicyViolation'     // the spec breaks the host policy; nothing was touched
  | 'NameConflict'        // the name is held by a container Berth does not manage (or another host's)
  | 'DockerUnavailable'   // the engine cannot be reached
  | 'ImageNotPresent'     // imagePullPolicy Never and the image is missing
  | 'PullFailed'          // the registry refused or failed the pull (auth, not found, network)
  | 'DockerError';        // anything else the engine refused (bad option, missing network, port in use)

export class RuntimeError extends Error {
  constructor(readonly code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeError';
  }
}

/** What an apply needs besides the spec; all of it comes in the controller's `apply` frame. */
export interface ApplyContext {
  /** Enforced again before anything is touched (the agent is the last line of defence). */
  policy: HostPolicy;
  /** Written to the `berth.dev/host-uid` label. */
  hostUid: string;
  /** Credentials for this pull, already chosen by the controller for the image's registry. */
  pullAuth?: PullAuth;
  /** The host's declared networks (absent: none): created when joined, pruned once they leave. */
  networks?: NetworkSpec[];
}

export interface Watch { close(): void }

/**
 * One engine on one machine, seen through the eyes of one ContainerHost: the runtime is built for a
 * host key ("<namespace>/<name>", from the agent token's `sub`) and only ever lists or touches
 * containers labelled with it, because one machine may run several agents for several hosts.
 */
export interface ContainerRuntime {
  /** "<namespace>/<name>" of the ContainerHost this runtime serves. */
  readonly hostKey: string;

  /** Engine facts for `hello`/`observed`; never throws (an unreachable engine is `{ ok: false }`). */
  dockerFacts(): Promise<DockerFacts>;

  /** Every managed container of this host. Throws RuntimeError('DockerUnavailable') without an engine. */
  inventory(): Promise<ObservedContainer[]>;

  /**
   * Make the container named spec.name match SPEC (idempotent): pull per policy, then converge the
   * run state of a container whose spec hash matches, or replace it. Resolves with what runs now;
   * rejects with a RuntimeError.
   */
  apply(spec: ContainerSpec, ctx: ApplyContext): Promise<ObservedContainer>;

  /**
   * Restart the managed container NAME in place (stop with its stop timeout, start; same container
   * ID) if it is running and Docker's StartedAt is still STARTEDAT — otherwise it was (re)started
   * since the controller decided, and nothing is done. Resolves with what runs now. Optional: a
   * simulated runtime may not restart.
   */
  restart?(name: string, startedAt: string): Promise<ObservedContainer>;

  /** Stop and remove the managed container NAME (volumes stay). A missing container is success. */
  remove(name: string, networks?: NetworkSpec[]): Promise<void>;

  /**
   * Call ONCHANGE (debounced) whenever a managed container of this host changes outside or inside
   * Berth, and once whenever the engine becomes reachable again after an outage. Never throws; keeps
   * retrying while the engine is down.
   */
  watch(onChange: () => void): Watch;

  // Log streaming (`logs`/`logsCancel` frames) is a separate `LogStreams` (log-streams.ts) passed to
  // the AgentClient: on Docker, DockerLogStreams (docker-logs.ts).
}

/** The message of ERR, for logs and error frames (never a stack, never request headers). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
