// The one interface between the reconcilers and where resources live. Two implementations: the
// directory store (embedded default: YAML files + a state directory) and the Kubernetes store
// (informers + the status subresource). The reconcilers cannot tell them apart.
import type { AgentToken, AgentTokenStatus, ConfigMapData, ContainerHost, ContainerHostStatus, ContainerSet, ContainerSetStatus, ResourceKey, SecretData } from '../api/types.js';
import type { EventKind } from './event-log.js';

/** A change a Store reports to its listeners: which resource to look at again (level-triggered). */
export type StoreChange =
  | { kind: 'ContainerHost'; key: ResourceKey }
  | { kind: 'AgentToken'; key: ResourceKey }
  | { kind: 'ContainerSet'; key: ResourceKey }
  | { kind: 'Secret'; key: ResourceKey }
  | { kind: 'ConfigMap'; key: ResourceKey };

/** A source that could not be read or validated (directory mode: a file; its resources keep their last good version). */
export interface SourceProblem { source: string; line?: number; message: string; since: string }

export interface EventRecord { type: 'Normal' | 'Warning'; reason: string; message: string }

/** An event as kept for the HTTP API; repeats of the same event are counted, as Kubernetes does. */
/** A whole new AgentToken status, or how to make it from the stored one (Store.writeTokenStatus). */
export type TokenStatusUpdate = AgentTokenStatus | ((current: AgentTokenStatus | undefined) => AgentTokenStatus | undefined);

export interface StoredEvent extends EventRecord { count: number; firstTimestamp: string; lastTimestamp: string }

/** The controller's token signing key (Ed25519, as JWKs). Never logged, never in status. */
export interface SigningKeyMaterial { kid: string; privateJwk: JsonWebKeyShape; publicJwk: JsonWebKeyShape }
export type JsonWebKeyShape = Record<string, string>;

export interface Store {
  /** Load everything and begin watching; resolves once the first full view is in memory. */
  start(): Promise<void>;
  stop(): Promise<void>;

  hosts(): ContainerHost[];
  host(key: ResourceKey): ContainerHost | undefined;
  tokens(): AgentToken[];
  token(key: ResourceKey): AgentToken | undefined;
  /** The AgentTokens of `namespace` whose secretName (explicit or default) is `secretName`, in any order: an index, not a scan. */
  tokensClaiming(namespace: string, secretName: string): AgentToken[];
  /** The AgentToken whose metadata.uid is `uid` (a JWT's jti), if it still exists. */
  tokenByUid(uid: string): AgentToken | undefined;
  sets(): ContainerSet[];
  set(key: ResourceKey): ContainerSet | undefined;
  secret(namespace: string, name: string): SecretData | undefined;
  /** A v1 ConfigMap (files volumes, envFrom); directory mode reads them from the manifests like Secrets. */
  configMap(namespace: string, name: string): ConfigMapData | undefined;

  /**
   * Called for every change from outside; the controller just enqueues the key (level-triggered).
   * The store's own status writes are NOT reported here: write → change → reconcile → write would loop.
   */
  subscribe(listener: (change: StoreChange) => void): () => void;
  /** subscribe() plus each status write once it is stored: for the status page, which must show them. */
  watchAll(listener: (change: StoreChange) => void): () => void;

  /** Replace the host's status (callers only write when it changed). */
  writeHostStatus(key: ResourceKey, status: ContainerHostStatus): Promise<void>;
  /**
   * Replace the token's status. A function is given the status as stored when the write is made —
   * again after a conflict — and returns the new one (undefined: write nothing): for a writer that
   * changes one field (lastUsedAt) off the reconciler's path, which must never undo what another
   * write stored in between.
   */
  writeTokenStatus(key: ResourceKey, status: TokenStatusUpdate): Promise<void>;
  /**
   * Replace a set's status. Hosts read their set revision from it, so it resolves only once the
   * status is durable (directory mode: written and synced): a restart never finds an older one.
   */
  writeSetStatus(key: ResourceKey, status: ContainerSetStatus): Promise<void>;

  /** Add the cleanup finalizer if absent (directory mode: every host implicitly has it). */
  ensureFinalizer(key: ResourceKey): Promise<void>;
  /** Drop the cleanup finalizer of a host being deleted, letting it go. Never touches other finalizers. */
  removeFinalizer(key: ResourceKey): Promise<void>;

  /** Store the minted token where the agent's operator can fetch it (Secret, or a 0600 file). */
  writeAgentToken(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void>;

  /**
   * The signing key, created with `generate` on first start and persisted (directory mode: a 0600
   * file in the state directory; Kubernetes: a Secret, create-if-absent and conflict-safe).
   */
  signingKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial>;

  /** Record an event about a resource (Kubernetes Events; both stores keep a short in-memory log). */
  recordEvent(kind: EventKind, key: ResourceKey, event: EventRecord): void;
  /** The last events recorded about a resource (oldest first, repeats counted), for the HTTP API. */
  events(kind: EventKind, key: ResourceKey): StoredEvent[];

  /** Sources that currently fail to read or validate. */
  problems(): SourceProblem[];
}
