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
  /** Issue 13: follow the tags of the Always-pulled containers by digest (recreate when a tag moves). */
  imageUpdates?: { policy: 'Poll' | 'None'; intervalSeconds: number };
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

// ---- ContainerSet (issue 13): one template on every ContainerHost a selector picks, rolled out
// host by host, gated by the health Berth reports.

/** metav1.LabelSelector over ContainerHosts in the set's namespace (both parts ANDed; empty selects all). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface SetUpdateStrategy {
  /** RollingUpdate: host by host within maxUnavailable; Recreate: every host at once. */
  type: 'RollingUpdate' | 'Recreate';
  rollingUpdate: {
    /** Hosts that may be unavailable because of the update: a count or a percent ("10%", rounded up, at least 1), as DaemonSet. */
    maxUnavailable: number | string;
    /** How long a host's set containers stay Running and ready, without a restart, before the host counts as available. */
    minReadySeconds: number;
  };
  /** Update this many hosts first; with pause, then wait for spec.paused=false or a new canary value. */
  canary?: { hosts: number; pause: boolean };
  /** What a failed host does to the rollout: Rollback (updated hosts go back to the last good revision) or Pause. */
  failurePolicy: 'Rollback' | 'Pause';
  /** A host not available this long after it was updated fails the rollout. */
  progressDeadlineSeconds: number;
}

export interface ContainerSetSpec {
  hostSelector: LabelSelector;
  template: { containers: ContainerDecl[] };
  updateStrategy: SetUpdateStrategy;
  paused: boolean;
  revisionHistoryLimit: number;
  /** Poll: resolve each tag's digest every intervalSeconds; a new digest is a new revision pinning image@sha256. */
  imageUpdates?: { policy: 'Poll' | 'None'; intervalSeconds: number };
  /** dockerconfigjson Secrets (set's namespace) whose credentials resolve the template's tags to digests. */
  imagePullSecrets?: Array<{ name: string }>;
}

/** One host of a set, as the rollout sees it (status.hostStatuses, sorted by host; bounded, see docs). */
export interface SetHostStatus {
  /** The ContainerHost's name (same namespace as the set). */
  host: string;
  /** The revision the rollout has given this host: the template its set containers run at. */
  revision: string;
  /** All the set's containers Running and ready on this host (not yet minReadySeconds). */
  ready: boolean;
  /** Ready for minReadySeconds with no restart in that window. */
  available: boolean;
  /** When this host was given its revision (RFC 3339) — the progress deadline counts from here. */
  since: string;
  /** Why it is not available, or which container collides; empty when fine. */
  message?: string;
  /** The container names of this set NOT applied on this host (name collision with the host's own or another set's). */
  collisions?: string[];
  /** The image each set container runs there (imageID from the agent, digest when known). */
  images?: Array<{ name: string; imageID?: string }>;
}

/** A kept revision of the template (status.revisions, newest last, at most revisionHistoryLimit + the live ones). */
export interface SetRevision {
  /** The template's hash (pinned digests included): the value hosts carry in hostStatuses[].revision. */
  name: string;
  /** 1, 2, 3, … in the order revisions were first seen. */
  number: number;
  template: { containers: ContainerDecl[] };
  createdAt: string;
  /** This revision was available on every host it ran on at some point: a rollback target. */
  good?: boolean;
}

/** Where the rollout of updateRevision is (status.rollout). */
export interface SetRolloutState {
  /** Progressing: updating hosts; Paused: canary or spec.paused; Failed: stopped by a failure; Complete. */
  phase: 'Progressing' | 'Paused' | 'Failed' | 'RollingBack' | 'Complete';
  /** The revision being rolled out (a rollback rolls out the good revision; updateRevision stays the failed one). */
  target: string;
  /** Failure: which host and container, and the last message. */
  failedHost?: string;
  failedContainer?: string;
  message?: string;
  /** The canary value this rollout paused at: a new spec value resumes it. */
  canaryHosts?: number;
  /** The metadata.generation the canary pause began at: a later spec with paused false resumes it. */
  pausedGeneration?: number;
  /** The canary step is over (resumed): the rest of the hosts follow. */
  canaryReleased?: boolean;
  startedAt?: string;
}

export interface ContainerSetStatus {
  observedGeneration?: number;
  /** The revision every selected host ran when the last rollout completed (the last good one). */
  currentRevision?: string;
  /** The revision of the current template. */
  updateRevision?: string;
  /** Selected hosts; of those, at updateRevision; ready; available. */
  hosts?: number;
  updatedHosts?: number;
  readyHosts?: number;
  availableHosts?: number;
  hostStatuses?: SetHostStatus[];
  revisions?: SetRevision[];
  rollout?: SetRolloutState;
  conditions?: Condition[];
}
