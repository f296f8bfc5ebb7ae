// The in-memory view both stores serve reads from, and the one place that tells listeners about
// changes. The directory store fills it from its scans, the Kubernetes store from its informers;
// the reconcilers and the HTTP API read it through the Store interface and cannot tell which.
//
// Two kinds of listener, so that status writes never loop (write → change → reconcile → write):
//   subscribe()  changes from outside: a resource appeared, changed or went. The reconcilers.
//   watchAll()   the same, plus each status write the store made itself (wroteStatus()), once it is
//                stored. The status page, which must show exactly those writes.
// Listeners are called synchronously, in the order they subscribed; one that throws is logged and
// never stops the others nor fails the write that triggered it.
import type { Logger } from 'pino';
import { agentTokenSecretName, type AgentToken, type ConfigMapData, type ContainerHost, type ContainerSet, type ResourceKey, type SecretData } from '../api/types.js';
import { byKey } from '../lib/objects.js';
import type { StoreChange } from './store.js';

type Listener = (change: StoreChange) => void;


export class StoreCache {
  private readonly hostMap = new Map<ResourceKey, ContainerHost>();
  private readonly tokenMap = new Map<ResourceKey, AgentToken>();
  private readonly tokenKeyByUid = new Map<string, ResourceKey>();
  /**
   * The keys of the tokens claiming each `<namespace>/<secretName>`: the token reconciler asks who
   * else claims a name on every reconcile, and a scan of every token there made a cold start of
   * N tokens O(N²) (at 5,000 tokens a third of the controller's CPU before any agent connected).
   */
  private readonly claimants = new Map<string, Set<ResourceKey>>();
  private readonly setMap = new Map<ResourceKey, ContainerSet>();
  private setList: ContainerSet[] | undefined;
  private readonly secretMap = new Map<ResourceKey, SecretData>();
  private readonly configMapMap = new Map<ResourceKey, ConfigMapData>();
  /** Sorted by namespace/name, built on first read after a change (the API lists them often). */
  private hostList: ContainerHost[] | undefined;
  private tokenList: AgentToken[] | undefined;
  /** Every listener, in subscription order; `all` marks the watchAll() ones. */
  private readonly listeners = new Set<{ fn: Listener; all: boolean }>();

  constructor(private readonly log: Logger) {}

  // ---------------------------------------------------------------- reads

  hosts(): ContainerHost[] { return (this.hostList ??= [...this.hostMap.values()].sort(byKey)); }
  host(key: ResourceKey): ContainerHost | undefined { return this.hostMap.get(key); }
  tokens(): AgentToken[] { return (this.tokenList ??= [...this.tokenMap.values()].sort(byKey)); }
  token(key: ResourceKey): AgentToken | undefined { return this.tokenMap.get(key); }
  /** The tokens of `namespace` whose secretName is `secretName` (any order; tombstoned ones too). */
  tokensClaiming(namespace: string, secretName: string): AgentToken[] {
    const keys = this.claimants.get(`${namespace}/${secretName}`);
    const out: AgentToken[] = [];
    for (const k of keys ?? []) { const t = this.tokenMap.get(k); if (t) out.push(t); }
    return out;
  }
  tokenByUid(uid: string): AgentToken | undefined {
    const key = this.tokenKeyByUid.get(uid);
    return key === undefined ? undefined : this.tokenMap.get(key);
  }
  sets(): ContainerSet[] { return (this.setList ??= [...this.setMap.values()].sort(byKey)); }
  set(key: ResourceKey): ContainerSet | undefined { return this.setMap.get(key); }
  secret(namespace: string, name: string): SecretData | undefined { return this.secretMap.get(`${namespace}/${name}`); }
  configMap(namespace: string, name: string): ConfigMapData | undefined { return this.configMapMap.get(`${namespace}/${name}`); }
  get counts(): { hosts: number; tokens: number; secrets: number } {
    return { hosts: this.hostMap.size, tokens: this.tokenMap.size, secrets: this.secretMap.size };
  }

  // ---------------------------------------------------------------- writes (by the store only)

  setHost(key: ResourceKey, host: ContainerHost): void {
    this.hostMap.set(key, host);
    this.hostList = undefined;
  }

  deleteHost(key: ResourceKey): void {
    this.hostMap.delete(key);
    this.hostList = undefined;
  }

  /** Keeps tokenByUid in step: a token replaced by one with another uid no longer answers to the old uid. */
  setToken(key: ResourceKey, token: AgentToken): void {
    const previous = this.tokenMap.get(key);
    if (previous && previous.metadata.uid !== token.metadata.uid) this.tokenKeyByUid.delete(previous.metadata.uid);
    if (previous) this.unclaim(key, previous);
    this.claim(key, token);
    this.tokenMap.set(key, token);
    this.tokenKeyByUid.set(token.metadata.uid, key);
    this.tokenList = undefined;
  }

  deleteToken(key: ResourceKey): void {
    const previous = this.tokenMap.get(key);
    if (previous) { this.tokenKeyByUid.delete(previous.metadata.uid); this.unclaim(key, previous); }
    this.tokenMap.delete(key);
    this.tokenList = undefined;
  }

  private claim(key: ResourceKey, t: AgentToken): void {
    const name = `${t.metadata.namespace}/${agentTokenSecretName(t)}`;
    let keys = this.claimants.get(name);
    if (!keys) this.claimants.set(name, keys = new Set());
    keys.add(key);
  }

  private unclaim(key: ResourceKey, t: AgentToken): void {
    const name = `${t.metadata.namespace}/${agentTokenSecretName(t)}`;
    const keys = this.claimants.get(name);
    if (!keys) return;
    keys.delete(key);
    if (!keys.size) this.claimants.delete(name);
  }

  setSet(key: ResourceKey, set: ContainerSet): void { this.setMap.set(key, set); this.setList = undefined; }
  deleteSet(key: ResourceKey): void { this.setMap.delete(key); this.setList = undefined; }

  setSecret(key: ResourceKey, secret: SecretData): void { this.secretMap.set(key, secret); }
  deleteSecret(key: ResourceKey): void { this.secretMap.delete(key); }
  setConfigMap(key: ResourceKey, configMap: ConfigMapData): void { this.configMapMap.set(key, configMap); }
  deleteConfigMap(key: ResourceKey): void { this.configMapMap.delete(key); }

  // ---------------------------------------------------------------- listeners

  subscribe(listener: Listener): () => void { return this.add(listener, false); }
  watchAll(listener: Listener): () => void { return this.add(listener, true); }

  /** A change from outside the controller: every listener hears it. */
  changed(change: StoreChange): void { this.notify(change, false); }

  /** The store stored a status write of its own: only watchAll() listeners hear it (no reconcile loop). */
  wroteStatus(change: StoreChange): void { this.notify(change, true); }

  private add(fn: Listener, all: boolean): () => void {
    const entry = { fn, all };
    this.listeners.add(entry);
    return () => { this.listeners.delete(entry); };
  }

  private notify(change: StoreChange, ownWrite: boolean): void {
    for (const l of [...this.listeners]) {
      if (ownWrite && !l.all) continue;
      try { l.fn(change); } catch (err) { this.log.error({ err, kind: change.kind, key: change.key }, 'store listener failed'); }
    }
  }
}
