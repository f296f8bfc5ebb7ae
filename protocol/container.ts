// What the controller tells an agent to run, and what an agent reports it runs. These shapes cross
// the wire inside `apply`, `hello`, `observed` and `result` frames.

/** Docker labels on every container Berth manages. Containers without `managed` are never touched. */
export const LABELS = {
  managed: 'berth.dev/managed',
  host: 'berth.dev/host',          // "<namespace>/<name>" of the ContainerHost
  hostUid: 'berth.dev/host-uid',
  name: 'berth.dev/name',          // the container's name in the spec
  specHash: 'berth.dev/spec-hash',
  files: 'berth.dev/files',        // on Berth-owned file volumes: the container they belong to
  set: 'berth.dev/set',            // on a ContainerSet's containers: "<namespace>/<name>" of the set
  setRevision: 'berth.dev/set-revision',   // ... and the revision (template hash) it runs
} as const;

/** The prefix of every label Berth reserves (user labels under it are refused). */
export const RESERVED_LABEL_PREFIX = 'berth.dev/';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type RestartPolicy = 'Always' | 'UnlessStopped' | 'OnFailure' | 'Never';
export type DesiredState = 'Running' | 'Stopped';

/** The host's policy; the agent enforces it again on every apply. */
export interface HostPolicy {
  allowPrivileged: boolean;
  allowHostNetwork: boolean;
  allowedHostPaths: string[];
  /** capAdd entries allowed ("ALL" allows every one). Absent: none. */
  allowCapabilities?: string[];
  /** Device paths under /dev allowed, or directories ending in "/*". Absent: none. */
  allowDevices?: string[];
  /** Sysctl names allowed, or prefixes ending in ".*" ("*" allows every one). Absent: none. */
  allowSysctls?: string[];
  allowGPUs?: boolean;
}

/** A network Berth creates on the host, as the agent gets it. */
export interface NetworkSpec {
  name: string;
  driver: 'bridge';
  internal?: boolean;
  ipv6?: boolean;
  subnet?: string;
  labels?: Record<string, string>;
}

/** One file of a `files` volume, content included (base64, so binary keys survive JSON). */
export interface FileItem { path: string; mode: number; contentBase64: string }

/** One volume mount, with exactly one source. */
export interface VolumeMount {
  hostPath?: string;
  volume?: string;
  /** The files a `files` volume holds: the agent writes them into a Berth-owned volume, mounted read-only. */
  files?: FileItem[];
  mountPath: string;
  readOnly: boolean;
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
  volumes: VolumeMount[];
  restartPolicy: RestartPolicy;
  healthcheck?: { exec: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number; startPeriodSeconds: number };
  resources?: { nanoCpus?: number; memoryBytes?: number };
  network: string;
  privileged: boolean;
  stopTimeoutSeconds: number;
  logging: { maxSizeBytes: number; maxFiles: number };
  // Issue 14: each present only when declared, so older specs, hashes and frames stay as they were.
  networks?: Array<{ name: string; aliases?: string[] }>;
  user?: string;
  workingDir?: string;
  hostname?: string;
  labels?: Record<string, string>;
  extraHosts?: Array<{ hostname: string; ip: string }>;
  dns?: string[];
  tmpfs?: Array<{ mountPath: string; sizeBytes?: number; mode?: number }>;
  shmSizeBytes?: number;
  init?: boolean;
  readOnlyRootFilesystem?: boolean;
  ulimits?: Array<{ name: string; soft: number; hard: number }>;
  stopSignal?: string;
  capAdd?: string[];
  capDrop?: string[];
  devices?: Array<{ hostPath: string; containerPath?: string; permissions?: string }>;
  sysctls?: Array<{ name: string; value: string }>;
  deviceRequests?: Array<{ driver?: string; count?: number; deviceIDs?: string[]; capabilities?: string[] }>;
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
  // apiVersion/minAPIVersion: the Engine API versions the daemon speaks (GET /version; Docker 29 refuses
  // clients below 1.44). Optional: an agent older than them does not send them.
  | { ok: true; version: string; cpus: number; memoryBytes: number; apiVersion?: string; minAPIVersion?: string }
  | { ok: false; error: string };
