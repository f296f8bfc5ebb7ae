// TypeScript shapes of the berth.dev/v1alpha1 resources, as stored (defaults applied). The CRDs in
// crds/ are the source of truth; these types follow them.
import type { DesiredState, HostPolicy, PullPolicy, RestartPolicy } from '../../protocol/container.js';

export const API_VERSION = 'berth.dev/v1alpha1';
export const FINALIZER = 'berth.dev/cleanup';
export const ANNOTATIONS = { forceDelete: 'berth.dev/force-delete', rotate: 'berth.dev/rotate' } as const;

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

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
  volumes?: Array<{ hostPath?: string; volume?: string; mountPath: string; readOnly: boolean }>;
  restartPolicy: RestartPolicy;
  healthcheck?: { exec: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number; startPeriodSeconds: number };
  resources?: { cpus?: number | string; memory?: number | string };
  network: string;
  privileged: boolean;
  stopTimeoutSeconds: number;
  logging: { maxSize: number | string; maxFiles: number };
}

export interface ContainerHostSpec {
  paused: boolean;
  removalPolicy: 'Delete' | 'Orphan';
  policy: HostPolicy;
  imagePullSecrets?: Array<{ name: string }>;
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

export interface ContainerHost {
  apiVersion: typeof API_VERSION;
  kind: 'ContainerHost';
  metadata: ObjectMeta;
  spec: ContainerHostSpec;
  status?: ContainerHostStatus;
}

export interface AgentTokenStatus {
  observedGeneration?: number;
  secretName?: string;
  tokenID?: string;
  issuedAt?: string;
  expiresAt?: string;
  lastUsedAt?: string;
  rotation?: string;
  conditions?: Condition[];
}

export interface AgentToken {
  apiVersion: typeof API_VERSION;
  kind: 'AgentToken';
  metadata: ObjectMeta;
  spec: { hostRef: { name: string }; ttl?: string; secretName?: string };
  status?: AgentTokenStatus;
}

/** Where an AgentToken's JWT is stored (a Secret, or in directory mode a token file): spec.secretName, default `<name>-agent-token`. */
export const agentTokenSecretName = (t: Pick<AgentToken, 'metadata' | 'spec'>): string => t.spec.secretName ?? `${t.metadata.name}-agent-token`;

/** A Secret's data, decoded; the type says how to read it (e.g. kubernetes.io/dockerconfigjson). */
export interface SecretData { namespace: string; name: string; type: string; data: Record<string, Buffer> }

/** "<namespace>/<name>" — the key of a resource in queues, maps and labels. */
export type ResourceKey = string;
export const keyOf = (m: { namespace: string; name: string }): ResourceKey => `${m.namespace}/${m.name}`;
export function splitKey(key: ResourceKey): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
