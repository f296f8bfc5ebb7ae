// What the controller tells an agent to run, and what an agent reports it runs. These shapes cross
// the wire inside `apply`, `hello`, `observed` and `result` frames.

/** Docker labels on every container Berth manages. Containers without `managed` are never touched. */
export const LABELS = {
  managed: 'berth.dev/managed',
  host: 'berth.dev/host',          // "<namespace>/<name>" of the ContainerHost
  hostUid: 'berth.dev/host-uid',
  name: 'berth.dev/name',          // the container's name in the spec
  specHash: 'berth.dev/spec-hash',
} as const;

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type RestartPolicy = 'Always' | 'UnlessStopped' | 'OnFailure' | 'Never';
export type DesiredState = 'Running' | 'Stopped';

/** The host's policy; the agent enforces it again on every apply. */
export interface HostPolicy {
  allowPrivileged: boolean;
  allowHostNetwork: boolean;
  allowedHostPaths: string[];
}

/**
 * One container, fully resolved by the controller: defaults applied, pull policy derived, secret
 * values filled in, quantities converted to numbers. `specHash` identifies it (secret values enter the
 * hash only as their own hashes).
 */
export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy: PullPolicy;
  state: DesiredState;
  command?: string[];
  args?: string[];
  env: Array<{ name: string; value: string }>;
  ports: Array<{ containerPort: number; hostPort?: number; protocol: 'TCP' | 'UDP' }>;
  volumes: Array<{ hostPath?: string; volume?: string; mountPath: string; readOnly: boolean }>;
  restartPolicy: RestartPolicy;
  healthcheck?: { exec: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number; startPeriodSeconds: number };
  resources?: { nanoCpus?: number; memoryBytes?: number };
  network: string;
  privileged: boolean;
  stopTimeoutSeconds: number;
  logging: { maxSizeBytes: number; maxFiles: number };
  specHash: string;
}

/** Registry credentials for one pull, resolved from the host's imagePullSecrets. */
export interface PullAuth { serveraddress: string; username?: string; password?: string; auth?: string; identitytoken?: string }

/** Docker's view of a managed container, as the agent reports it. */
export type DockerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ObservedContainer {
  name: string;
  containerID: string;
  image: string;
  imageID: string;
  state: DockerState;
  health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  restartCount: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** The berth.dev/spec-hash label. */
  specHash?: string;
  /** The berth.dev/host-uid label. */
  hostUid?: string;
}

export interface AgentFacts { version: string; hostname: string; os: string; arch: string }

export type DockerFacts =
  | { ok: true; version: string; cpus: number; memoryBytes: number }
  | { ok: false; error: string };
