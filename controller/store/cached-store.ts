// What both stores do alike, written once: every read is served from the StoreCache, listeners
// attach to it, and Events are kept in the EventLog. The directory and Kubernetes stores extend
// this and implement only how resources get into the cache (scans, informers) and how writes leave
// it (files, the apiserver).
import type { Logger } from 'pino';
import type { AgentToken, ConfigMapData, ContainerHost, ContainerHostStatus, ContainerSet, ContainerSetStatus, ResourceKey, SecretData } from '../api/types.js';
import { StoreCache } from './cache.js';
import { EventLog, type EventKind } from './event-log.js';
import type { EventRecord, SigningKeyMaterial, SourceProblem, Store, StoreChange, StoredEvent, TokenStatusUpdate } from './store.js';

export abstract class CachedStore implements Store {
  protected readonly cache: StoreCache;
  protected readonly eventLog: EventLog;

  protected constructor(protected readonly log: Logger) {
    this.cache = new StoreCache(log);
    this.eventLog = new EventLog({ log });
  }

  hosts(): ContainerHost[] { return this.cache.hosts(); }
  host(key: ResourceKey): ContainerHost | undefined { return this.cache.host(key); }
  tokens(): AgentToken[] { return this.cache.tokens(); }
  token(key: ResourceKey): AgentToken | undefined { return this.cache.token(key); }
  tokensClaiming(namespace: string, secretName: string): AgentToken[] { return this.cache.tokensClaiming(namespace, secretName); }
  tokenByUid(uid: string): AgentToken | undefined { return this.cache.tokenByUid(uid); }
  sets(): ContainerSet[] { return this.cache.sets(); }
  set(key: ResourceKey): ContainerSet | undefined { return this.cache.set(key); }
  secret(namespace: string, name: string): SecretData | undefined { return this.cache.secret(namespace, name); }
  configMap(namespace: string, name: string): ConfigMapData | undefined { return this.cache.configMap(namespace, name); }
  /** The last Events recorded about a resource (oldest first), for the HTTP API. */
  events(kind: EventKind, key: ResourceKey): StoredEvent[] { return this.eventLog.events(kind, key); }
  subscribe(listener: (change: StoreChange) => void): () => void { return this.cache.subscribe(listener); }
  watchAll(listener: (change: StoreChange) => void): () => void { return this.cache.watchAll(listener); }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  abstract problems(): SourceProblem[];
  abstract writeHostStatus(key: ResourceKey, status: ContainerHostStatus): Promise<void>;
  abstract writeTokenStatus(key: ResourceKey, status: TokenStatusUpdate): Promise<void>;
  abstract writeSetStatus(key: ResourceKey, status: ContainerSetStatus): Promise<void>;
  abstract ensureFinalizer(key: ResourceKey): Promise<void>;
  abstract removeFinalizer(key: ResourceKey): Promise<void>;
  abstract writeAgentToken(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void>;
  abstract signingKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial>;
  abstract recordEvent(kind: EventKind, key: ResourceKey, event: EventRecord): void;
}
