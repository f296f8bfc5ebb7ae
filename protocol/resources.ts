// The spec and status shapes of the berth.dev/v1alpha1 resources (as stored, defaults applied), as
// plain types: the controller stores and reconciles them (controller/api/types.ts re-exports them
// with the resources' metadata) and the read-only API shows them to the status page unchanged
// (protocol/api-views.ts). The CRDs in crds/ are the source of truth; these types follow them.
// Type-only: no runtime code, nothing of Kubernetes' client.
import type { DesiredState, HostPolicy, PullPolicy, RestartPolicy } from './container.js';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ContainerDecl {
  name: string;
  image: string;
  imagePullPolicy?: PullPolicy;
  state: DesiredState;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } } }>;
  ports?: Array<{ containerPort: number; hostPort?: number; protocol: 'TCP' | 'UDP' }>;
  volumes?: Array<{ hostPath?: string; volume?: string; files?: FilesSource; mountPath: string; readOnly: boolean }>;
  restartPolicy: RestartPolicy;
  healthcheck?: { exec: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number; startPeriodSeconds: number };
  resources?: { cpus?: number | string; memory?: number | string };
  network: string;
  privileged: boolean;
  stopTimeoutSeconds: number;
  logging: { maxSize: number | string; maxFiles: number };
  // Issue 14's run options; all optional, and absent from the spec hash unless set.
  networks?: Array<{ name: string; aliases?: string[] }>;
  dependsOn?: Array<{ name: string; condition: 'Started' | 'Healthy' }>;
  user?: string;
  workingDir?: string;
  hostname?: string;
  labels?: Record<string, string>;
  extraHosts?: Array<{ hostname: string; ip: string }>;
  dns?: string[];
  tmpfs?: Array<{ mountPath: string; size?: number | string; mode?: number }>;
  shmSize?: number | string;
  init?: boolean;
  readOnlyRootFilesystem?: boolean;
  ulimits?: Array<{ name: string; soft: number; hard: number }>;
  envFrom?: Array<{ prefix?: string; configMapRef?: { name: string; optional?: boolean }; secretRef?: { name: string; optional?: boolean } }>;
  stopSignal?: string;
  capAdd?: string[];
  capDrop?: string[];
  devices?: Array<{ hostPath: string; containerPath?: string; permissions?: string }>;
  sysctls?: Array<{ name: string; value: string }>;
  deviceRequests?: Array<{ driver?: string; count?: number; deviceIDs?: string[]; capabilities?: string[] }>;
}

/** A volume's `files` source: keys of a ConfigMap or a Secret written as files. */
export interface FilesSource {
  configMap?: string;
  secret?: string;
  items?: Array<{ key: string; path: string; mode?: number }>;
}

/** A network Berth creates on the host (spec.networks). */
export interface NetworkDecl {
  name: string;
  driver: 'bridge';
  internal?: boolean;
  ipv6?: boolean;
  subnet?: string;
  labels?: Record<string, string>;
}

export interface ContainerHostSpec {
  paused: boolean;
  removalPolicy: 'Delete' | 'Orphan';
  policy: HostPolicy;
  imagePullSecrets?: Array<{ name: string }>;
  networks?: NetworkDecl[];
  containers?: ContainerDecl[];
}

export type ContainerStatusState = 'Pending' | 'Pulling' | 'Running' | 'Stopped' | 'Exited' | 'Restarting' | 'Failed' | 'Unknown';

export interface ContainerStatus {
  name: string;
  containerID?: string;
  image?: string;
  imageID?: string;
  state: ContainerStatusState;
  health?: 'none' | 'starting' | 'healthy' | 'unhealthy';
  ready: boolean;
  restartCount?: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  specHash?: string;
  /** The restart request (an RFC 3339 time) the container was last restarted for (`berth restart`). */
  restartedFor?: string;
  message?: string;
}

export interface AgentStatus {
  connected: boolean;
  connectedAt?: string;
  lastSeenAt?: string;
  version?: string;
  hostname?: string;
  os?: string;
  arch?: string;
  dockerVersion?: string;
  /** The Engine API version the daemon speaks (e.g. 1.41). */
  dockerAPIVersion?: string;
  /** The oldest Engine API version the daemon accepts. */
  dockerMinAPIVersion?: string;
  cpus?: number;
  memoryBytes?: number;
}

export interface ContainerHostStatus {
  observedGeneration?: number;
  agent?: AgentStatus;
  containers?: ContainerStatus[];
  ready?: string;
  conditions?: Condition[];
}

export interface AgentTokenStatus {
  observedGeneration?: number;
  secretName?: string;
  tokenID?: string;
  issuedAt?: string;
  expiresAt?: string;
  lastUsedAt?: string;
  rotation?: string;
  /** A bootstrap token's enrollment: the join token issued at joinIssuedAt was burned for the credential credentialID. */
  enrollment?: AgentEnrollment;
  conditions?: Condition[];
}

export interface AgentEnrollment { joinIssuedAt: string; enrolledAt: string; remoteAddress?: string; credentialID: string }

export interface AgentTokenSpec { hostRef: { name: string }; ttl?: string; secretName?: string; bootstrap?: boolean }
