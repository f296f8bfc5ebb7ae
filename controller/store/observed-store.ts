// A Store decorator for observers that must see EVERY change, the status page above all. The stores
// deliberately do not report the controller's own status writes through subscribe() (that would
// loop: write → event → reconcile → write). The page, though, must show exactly those writes, so the
// controller hands its reconcilers this wrapper: every call goes to the inner store unchanged, and
// watchAll() listeners additionally hear about each status write once it is stored. subscribe()
// stays the inner store's, so reconcilers keep their loop-free events.
import type { AgentToken, AgentTokenStatus, ContainerHost, ContainerHostStatus, ResourceKey, SecretData } from '../api/types.js';
import type { EventRecord, SigningKeyMaterial, SourceProblem, Store, StoreEvent } from './store.js';

export class ObservedStore implements Store {
  private readonly watchers = new Set<(event: StoreEvent) => void>();

  constructor(readonly inner: Store) {}

  /** Store events plus the status writes made through this wrapper. Returns the unsubscribe. */
  watchAll(listener: (event: StoreEvent) => void): () => void {
    const off = this.inner.subscribe(listener);
    this.watchers.add(listener);
    return () => { off(); this.watchers.delete(listener); };
  }

  private notify(event: StoreEvent): void {
    for (const w of [...this.watchers]) {
      // An observer's failure must never fail the status write that triggered it.
      try { w(event); } catch { /* observers log their own errors */ }
    }
  }

  start(): Promise<void> { return this.inner.start(); }
  stop(): Promise<void> { return this.inner.stop(); }
  hosts(): ContainerHost[] { return this.inner.hosts(); }
  host(key: ResourceKey): ContainerHost | undefined { return this.inner.host(key); }
  tokens(): AgentToken[] { return this.inner.tokens(); }
  token(key: ResourceKey): AgentToken | undefined { return this.inner.token(key); }
  tokenByUid(uid: string): AgentToken | undefined { return this.inner.tokenByUid(uid); }
  secret(namespace: string, name: string): SecretData | undefined { return this.inner.secret(namespace, name); }
  subscribe(listener: (event: StoreEvent) => void): () => void { return this.inner.subscribe(listener); }

  async writeHostStatus(key: ResourceKey, status: ContainerHostStatus): Promise<void> {
    await this.inner.writeHostStatus(key, status);
    this.notify({ kind: 'ContainerHost', key });
  }

  async writeTokenStatus(key: ResourceKey, status: AgentTokenStatus): Promise<void> {
    await this.inner.writeTokenStatus(key, status);
    this.notify({ kind: 'AgentToken', key });
  }

  ensureFinalizer(key: ResourceKey): Promise<void> { return this.inner.ensureFinalizer(key); }
  removeFinalizer(key: ResourceKey): Promise<void> { return this.inner.removeFinalizer(key); }
  writeAgentToken(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void> {
    return this.inner.writeAgentToken(token, secretName, jwt, agentUrl);
  }
  signingKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial> { return this.inner.signingKey(generate); }
  recordEvent(kind: 'ContainerHost' | 'AgentToken', key: ResourceKey, event: EventRecord): void { this.inner.recordEvent(kind, key, event); }
  problems(): SourceProblem[] { return this.inner.problems(); }
}
