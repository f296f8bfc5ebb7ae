// TypeScript shapes of the berth.dev/v1alpha1 resources, as stored (defaults applied). The CRDs in
// crds/ are the source of truth; these types follow them. The spec and status shapes are plain types
// in protocol/resources.ts, because the read-only API shows them to the page as they are
// (protocol/api-views.ts); they are re-exported here, so controller code imports them from one place.
import type { AgentTokenSpec, AgentTokenStatus, ContainerHostSpec, ContainerHostStatus, ContainerSetSpec, ContainerSetStatus } from '../../protocol/resources.js';

export type {
  AgentStatus, AgentTokenSpec, AgentTokenStatus, Condition, ContainerDecl, ContainerHostSpec, ContainerHostStatus, FilesSource, NetworkDecl,
  ContainerStatus, ContainerStatusState, ContainerSetSpec, ContainerSetStatus, LabelSelector, SetHostStatus, SetRevision, SetRolloutState,
} from '../../protocol/resources.js';

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

export interface ContainerHost {
  apiVersion: typeof API_VERSION;
  kind: 'ContainerHost';
  metadata: ObjectMeta;
  spec: ContainerHostSpec;
  status?: ContainerHostStatus;
}

/** One container template on every ContainerHost its selector picks (issue 13). */
export interface ContainerSet {
  apiVersion: typeof API_VERSION;
  kind: 'ContainerSet';
  metadata: ObjectMeta;
  spec: ContainerSetSpec;
  status?: ContainerSetStatus;
}

export interface AgentToken {
  apiVersion: typeof API_VERSION;
  kind: 'AgentToken';
  metadata: ObjectMeta;
  spec: AgentTokenSpec;
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

/** A ConfigMap's data (data and binaryData merged, decoded). */
export interface ConfigMapData { namespace: string; name: string; data: Record<string, Buffer> }
