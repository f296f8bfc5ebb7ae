// The Kubernetes store (`berth controller --kube`): ContainerHosts, AgentTokens and Secrets come
// from informers (list + watch, reflector.ts); status goes through the /status subresource as a
// JSON merge patch; the cleanup finalizer is added and removed with preconditioned JSON patches;
// tokens and the signing key live in Secrets (secrets.ts); events are core/v1 Events (events.ts).
// The reconcilers cannot tell it from the directory store.
//
// Modules: reflector.ts (informers), patch.ts (pure patch builders), objects.ts (mapping, bodies),
// secrets.ts (token and signing-key Secrets), events.ts (Event writes with aggregation). The
// apiserver is reached only through controller/kube/api.ts (client + raw HTTPS, errors): this folder
// never imports @kubernetes/client-node itself.
//
// Reads are from the shared StoreCache, which the informers fill. Writes go to the apiserver and, on
// success, the object it returned is written through to the informer and the cache, so a reconcile
// that follows sees its own write.
import { hostname } from 'node:os';
import type { KubeConfig } from '../../kube/config.js';
import { pino, type Logger } from 'pino';
import { FINALIZER, splitKey, type AgentToken, type AgentTokenStatus, type ContainerHostStatus, type ContainerSetStatus, type ResourceKey } from '../../api/types.js';
import { asKubeError, KubeApi, KubeHttp, type RequestRecord } from '../../kube/api.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../../kube/request-lanes.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { CachedStore } from '../cached-store.js';
import type { EventRecord, SigningKeyMaterial, SourceProblem, StoredEvent, TokenStatusUpdate } from '../store.js';
import { EventRecorder } from './events.js';
import {
  GROUP, PLURAL, rawKey, reconcileInputs, SECRET_FIELD_SELECTOR, SECRET_LABEL_SELECTOR, secretChanged, toAgentToken, toContainerHost, toContainerSet,
  toSecretData, toConfigMapData, configMapChanged, VERSION, type RawObject,
} from './objects.js';
import { addFinalizerOps, removeFinalizerOps, statusPatchBody, type JsonPatchOp } from './patch.js';
import { Reflector, type ChangeType } from './reflector.js';
import { KubeSecrets } from './secrets.js';

export type { StoredEvent, RequestRecord };

export const DEFAULT_CONTROLLER_NAMESPACE = 'berth-system';

export interface KubeStoreOptions {
  kubeConfig: KubeConfig;
  /** Watch only this namespace (undefined: all namespaces). */
  namespace?: string;
  /** Where the signing-key Secret lives (--namespace / POD_NAMESPACE; default berth-system). It must exist. */
  controllerNamespace?: string;
  logger?: Logger;
  /** Relist an informer whose request showed no sign of life (no event, no bookmark) for this long (default 5 min). */
  watchdogMs?: number;
  /** Full relist of every informer as a safety net (default 30 min; 0 = off). */
  resyncMs?: number;
  /** Bound on one API call (default 30 s). */
  requestTimeoutMs?: number;
  /** Informer retry backoff (defaults 500 ms doubling to 30 s, jittered). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** How long start() retries the first lists before failing (default 60 s). */
  startTimeoutMs?: number;
  /** reportingInstance of Events (default POD_NAME, else the hostname). */
  instance?: string;
  /** Sees every API call (method, url, Content-Type) as it is sent; for diagnostics and tests. */
  onRequest?: (r: RequestRecord) => void;
  /** The CA agents verify the controller with (PEM): the token Secrets' `ca.crt`. */
  agentCa?: string;
  /** Client-side qps/burst, token path first when saturated (default DEFAULT_RATE_LIMITS; qps 0 = off). */
  rateLimits?: RateLimits;
}

type Kind = 'ContainerHost' | 'AgentToken' | 'ContainerSet';
const CONFLICT_RETRIES = 5;
const SETS_CRD_MISSING = 'the ContainerSet CRD is not installed (kubectl apply -f crds/containersets.yaml)';

export class KubeStore extends CachedStore {
  readonly namespace: string | undefined;
  readonly controllerNamespace: string;
  private readonly api: KubeApi;
  private readonly recorder: EventRecorder;
  private readonly secrets: KubeSecrets;
  private readonly reflectors: Record<Kind | 'Secret' | 'ConfigMap', Reflector>;
  private readonly resyncMs: number;
  private resyncTimer: NodeJS.Timeout | undefined;

  /** kind/key → the status (canonical JSON) as the apiserver returned it after our last write. */
  private readonly ownStatus = new Map<string, string>();
  private started = false;

  constructor(options: KubeStoreOptions) {
    super(options.logger ?? pino({ level: 'silent' }));
    this.namespace = options.namespace || undefined;
    this.controllerNamespace = options.controllerNamespace || DEFAULT_CONTROLLER_NAMESPACE;
    this.resyncMs = options.resyncMs ?? 30 * 60_000;
    if (!options.kubeConfig.getCurrentCluster()) throw new Error('kube store: the kubeconfig has no current cluster');
    this.api = new KubeApi(options.kubeConfig, { timeoutMs: options.requestTimeoutMs ?? 30_000, rateLimits: options.rateLimits ?? DEFAULT_RATE_LIMITS, ...(options.onRequest ? { onRequest: options.onRequest } : {}) });
    this.recorder = new EventRecorder({ api: this.api, log: this.log, instance: options.instance ?? process.env.POD_NAME ?? hostname() });
    this.secrets = new KubeSecrets(this.api, this.log, this.controllerNamespace, options.agentCa);
    const http = new KubeHttp(options.kubeConfig);
    const ns = this.namespace ? `/namespaces/${encodeURIComponent(this.namespace)}` : '';
    const common = {
      http, log: this.log,
      ...(options.watchdogMs !== undefined ? { watchdogMs: options.watchdogMs } : {}),
      ...(options.backoffInitialMs !== undefined ? { backoffInitialMs: options.backoffInitialMs } : {}),
      ...(options.backoffMaxMs !== undefined ? { backoffMaxMs: options.backoffMaxMs } : {}),
      ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    };
    const notFoundHint = 'are the Berth CRDs installed? (kubectl apply -f crds/)';
    this.reflectors = {
      ContainerHost: new Reflector({ ...common, notFoundHint, kind: 'ContainerHost', path: `/apis/${GROUP}/${VERSION}${ns}/${PLURAL.ContainerHost}`, onChange: (t, o, old) => this.onHost(t, o, old) }),
      AgentToken: new Reflector({ ...common, notFoundHint, kind: 'AgentToken', path: `/apis/${GROUP}/${VERSION}${ns}/${PLURAL.AgentToken}`, onChange: (t, o, old) => this.onToken(t, o, old) }),
      ContainerSet: new Reflector({ ...common, notFoundHint: SETS_CRD_MISSING, kind: 'ContainerSet', path: `/apis/${GROUP}/${VERSION}${ns}/${PLURAL.ContainerSet}`, onChange: (t, o, old) => this.onSet(t, o, old) }),
      Secret: new Reflector({
        ...common, kind: 'Secret', path: `/api/v1${ns}/secrets`, labelSelector: SECRET_LABEL_SELECTOR, fieldSelector: SECRET_FIELD_SELECTOR,
        onChange: (t, o, old) => this.onSecret(t, o, old),
      }),
      // files volumes and envFrom read ConfigMaps; watched like Secrets, so a change recreates.
      ConfigMap: new Reflector({ ...common, kind: 'ConfigMap', path: `/api/v1${ns}/configmaps`, onChange: (t, o, old) => this.onConfigMap(t, o, old) }),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.started) throw new Error('kube store: already started');
    this.started = true;
    let all = Object.values(this.reflectors);
    const results = await Promise.allSettled(all.map((r) => r.start()));
    // A cluster upgraded without the ContainerSet CRD still runs hosts and tokens; sets wait for the CRD and a restart.
    const setsAt = all.indexOf(this.reflectors.ContainerSet);
    const setsFailed = results[setsAt];
    if (setsFailed?.status === 'rejected' && String((setsFailed.reason as Error).message).includes(SETS_CRD_MISSING)) {
      this.log.warn({ err: (setsFailed.reason as Error).message }, 'ContainerSets are off until their CRD is installed and the controller restarts');
      await this.reflectors.ContainerSet.stop();
      results.splice(setsAt, 1);
      all = all.filter((r) => r !== this.reflectors.ContainerSet);
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(all.map((r) => r.stop()));
      throw new Error(`kube store: ${(failed.reason as Error).message}`);
    }
    if (this.resyncMs > 0) {
      this.resyncTimer = setInterval(() => { for (const r of all) r.resync(); }, this.resyncMs);
      this.resyncTimer.unref();
    }
    this.log.info({ namespace: this.namespace ?? '(all)', controllerNamespace: this.controllerNamespace, ...this.cache.counts }, 'kubernetes store started');
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await Promise.all(Object.values(this.reflectors).map((r) => r.stop()));
    // Event writes are bounded by the request timeout; do not hold shutdown longer than a moment.
    await Promise.race([this.recorder.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  // ---------------------------------------------------------------- reads (informer caches)


  /**
   * Informers that currently fail (the store keeps serving what it last knew), and writes the
   * apiserver refused with 403 in the last minutes — a missing RBAC rule, named by verb and resource.
   */
  problems(): SourceProblem[] {
    const out: SourceProblem[] = [];
    for (const [kind, r] of Object.entries(this.reflectors)) {
      const p = r.problem();
      if (p) out.push({ source: 'kubernetes', message: `${kind} informer: ${p.message}`, since: p.since });
    }
    for (const d of this.api.recentDenials()) out.push({ source: 'kubernetes', message: `permission denied: ${d.message}`, since: d.since });
    return out;
  }

  /** Informer counters (lists, watches, stalls, failures) — for diagnostics and tests. */
  informerStats(): Record<Kind | 'Secret' | 'ConfigMap', { lists: number; watches: number; stalls: number; failures: number }> {
    const s = (r: Reflector) => ({ ...r.stats });
    return { ContainerHost: s(this.reflectors.ContainerHost), AgentToken: s(this.reflectors.AgentToken), ContainerSet: s(this.reflectors.ContainerSet), Secret: s(this.reflectors.Secret), ConfigMap: s(this.reflectors.ConfigMap) };
  }

  // ---------------------------------------------------------------- informer callbacks

  /**
   * Whether a new version of a host or token is worth a reconcile: always when it appears; when its
   * spec/metadata inputs changed; when its status changed and is not the status we wrote ourselves
   * (someone else wrote status — level-triggered, we look again). Our own status writes do not
   * come back as events: no write → event → reconcile loop.
   */
  private worthAnEvent(kind: Kind, type: ChangeType, obj: RawObject, old: RawObject | undefined): boolean {
    if (type !== 'update' || !old) return true;
    if (reconcileInputs(old) !== reconcileInputs(obj)) return true;
    if (canonicalJson(old.status ?? null) === canonicalJson(obj.status ?? null)) return false;
    return this.ownStatus.get(`${kind}/${rawKey(obj)}`) !== canonicalJson(obj.status ?? null);
  }

  private onHost(type: ChangeType, obj: RawObject, old: RawObject | undefined): void {
    const key = rawKey(obj);
    if (type === 'delete') {
      this.cache.deleteHost(key);
      this.ownStatus.delete(`ContainerHost/${key}`);
      this.eventLog.forget('ContainerHost', key);
    } else {
      this.cache.setHost(key, toContainerHost(obj));
    }
    if (type === 'delete' || this.worthAnEvent('ContainerHost', type, obj, old)) {
      this.log.debug({ kind: 'ContainerHost', key, change: type, generation: obj.metadata.generation }, 'ContainerHost changed');
      this.cache.changed({ kind: 'ContainerHost', key });
    }
  }

  private onToken(type: ChangeType, obj: RawObject, old: RawObject | undefined): void {
    const key = rawKey(obj);
    if (type === 'delete') {
      this.cache.deleteToken(key);
      this.ownStatus.delete(`AgentToken/${key}`);
      this.eventLog.forget('AgentToken', key);
    } else {
      this.cache.setToken(key, toAgentToken(obj));
    }
    if (type === 'delete' || this.worthAnEvent('AgentToken', type, obj, old)) {
      this.log.debug({ kind: 'AgentToken', key, change: type }, 'AgentToken changed');
      this.cache.changed({ kind: 'AgentToken', key });
    }
  }

  private onSet(type: ChangeType, obj: RawObject, old: RawObject | undefined): void {
    const key = rawKey(obj);
    if (type === 'delete') {
      this.cache.deleteSet(key);
      this.ownStatus.delete(`ContainerSet/${key}`);
      this.eventLog.forget('ContainerSet', key);
    } else {
      this.cache.setSet(key, toContainerSet(obj));
    }
    if (type === 'delete' || this.worthAnEvent('ContainerSet', type, obj, old)) this.cache.changed({ kind: 'ContainerSet', key });
  }

  private onSecret(type: ChangeType, obj: RawObject, old: RawObject | undefined): void {
    const key = rawKey(obj);
    if (type === 'delete') this.cache.deleteSecret(key);
    else this.cache.setSecret(key, toSecretData(obj));
    if (type !== 'update' || !old || secretChanged(old, obj)) {
      this.log.debug({ kind: 'Secret', key, change: type }, 'secret changed');   // never its data
      this.cache.changed({ kind: 'Secret', key });
    }
  }

  private onConfigMap(type: ChangeType, obj: RawObject, old: RawObject | undefined): void {
    const key = rawKey(obj);
    if (type === 'delete') this.cache.deleteConfigMap(key);
    else this.cache.setConfigMap(key, toConfigMapData(obj));
    if (type !== 'update' || !old || configMapChanged(old, obj)) {
      this.log.debug({ kind: 'ConfigMap', key, change: type }, 'config map changed');
      this.cache.changed({ kind: 'ConfigMap', key });
    }
  }

  // ---------------------------------------------------------------- writes

  async writeHostStatus(key: ResourceKey, status: ContainerHostStatus): Promise<void> {
    await this.writeStatus('ContainerHost', key, status);
  }

  async writeTokenStatus(key: ResourceKey, update: TokenStatusUpdate): Promise<void> {
    await this.writeStatus('AgentToken', key, typeof update === 'function' ? (current) => update(current as AgentTokenStatus | undefined) : update);
  }

  /** Resolves once the apiserver stored it (hosts then act on it; a new leader reads the same). */
  async writeSetStatus(key: ResourceKey, status: ContainerSetStatus): Promise<void> {
    await this.writeStatus('ContainerSet', key, status);
  }

  /**
   * Replaces the status: a merge patch from the current status to `status` (nulls for removed
   * fields), conditional on the resourceVersion it was computed against; on 409 the object is read
   * again and the diff recomputed — a diff against a stale copy could miss a field to remove. A
   * function computes the status from the object's as read, on every attempt (undefined: no write).
   */
  private async writeStatus(kind: Kind, key: ResourceKey, update: object | ((current: unknown) => object | undefined)): Promise<void> {
    const { namespace, name } = splitKey(key);
    let current = this.reflectors[kind].get(key);
    if (!current) throw new Error(`${kind} ${key} not found`);
    for (let attempt = 1; ; attempt++) {
      const status = typeof update === 'function' ? update(current.status) : update;
      if (status === undefined) return;
      const body = statusPatchBody(current.status as Record<string, unknown> | undefined, status, current.metadata.resourceVersion);
      try {
        const updated = await this.api.mergePatchCustomObjectStatus(`write status of ${kind} ${key}`,
          { group: GROUP, version: VERSION, namespace, plural: PLURAL[kind], name }, body) as RawObject;
        this.ownStatus.set(`${kind}/${key}`, canonicalJson(updated.status ?? null));
        this.reflectors[kind].upsert(updated);
        this.cache.wroteStatus({ kind, key });
        return;
      } catch (err) {
        const e = asKubeError(err, `write status of ${kind} ${key}`);
        if (!e.conflict || attempt >= CONFLICT_RETRIES) throw e;
        this.log.debug({ kind, key, attempt }, 'status write conflicted; re-reading');
        current = await this.read(kind, namespace, name);
        if (!current) throw new Error(`${kind} ${key} not found`);
      }
    }
  }

  private async read(kind: Kind, namespace: string, name: string): Promise<RawObject | undefined> {
    try {
      return await this.api.getCustomObject(`get ${kind} ${namespace}/${name}`, { group: GROUP, version: VERSION, namespace, plural: PLURAL[kind], name }) as RawObject;
    } catch (err) {
      if (asKubeError(err, '').notFound) return undefined;
      throw err;
    }
  }

  async ensureFinalizer(key: ResourceKey): Promise<void> {
    const host = this.reflectors.ContainerHost.get(key);
    // No new finalizers on an object being deleted (the apiserver refuses them, and it is too late).
    if (!host || host.metadata.deletionTimestamp) return;
    await this.patchFinalizers(key, 'add', (obj) => (obj.metadata.deletionTimestamp ? undefined : addFinalizerOps(obj.metadata.finalizers, FINALIZER, obj.metadata.resourceVersion)));
  }

  async removeFinalizer(key: ResourceKey): Promise<void> {
    await this.patchFinalizers(key, 'remove', (obj) => removeFinalizerOps(obj.metadata.finalizers, FINALIZER));
    this.log.info({ kind: 'ContainerHost', key }, 'finalizer removed');
  }

  /**
   * A JSON patch whose `test` op pins the finalizers we saw (or the resourceVersion when there were
   * none). If another party changed them in between, the test fails (422) or the version conflicts
   * (409): re-read, rebuild, retry. Nothing else about the list is ever touched.
   */
  private async patchFinalizers(key: ResourceKey, what: 'add' | 'remove', build: (obj: RawObject) => JsonPatchOp[] | undefined): Promise<void> {
    const { namespace, name } = splitKey(key);
    let current = this.reflectors.ContainerHost.get(key);
    for (let attempt = 1; current; attempt++) {
      const ops = build(current);
      if (!ops) return;
      try {
        const updated = await this.api.jsonPatchCustomObject(`${what} finalizer on ContainerHost ${key}`,
          { group: GROUP, version: VERSION, namespace, plural: PLURAL.ContainerHost, name }, ops) as RawObject;
        this.reflectors.ContainerHost.upsert(updated);
        return;
      } catch (err) {
        const e = asKubeError(err, `${what} finalizer on ContainerHost ${key}`);
        if (e.notFound) return;   // gone already: nothing to hold or release
        if (!(e.conflict || e.status === 422) || attempt >= CONFLICT_RETRIES) throw e;
        this.log.debug({ kind: 'ContainerHost', key, attempt, status: e.status, err: e.message }, 'finalizer patch precondition failed; re-reading');
        current = await this.read('ContainerHost', namespace, name);
      }
    }
  }

  writeAgentToken(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void> {
    return this.secrets.writeAgentToken(token, secretName, jwt, agentUrl);
  }

  signingKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial> { return this.secrets.signingKey(generate); }

  recordEvent(kind: Kind, key: ResourceKey, event: EventRecord): void {
    try {
      const { namespace, name } = splitKey(key);
      const obj = this.reflectors[kind].get(key);
      this.eventLog.record(kind, key, event);
      this.recorder.record({
        kind, namespace, name,
        ...(obj?.metadata.uid ? { uid: obj.metadata.uid } : {}),
        ...(obj?.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
      }, event);
    } catch (err) {
      this.log.warn({ kind, key, err: (err as Error).message }, 'could not record event');
    }
  }

  /** Resolves when every Event write started so far has finished (tests, shutdown). */
  eventsIdle(): Promise<void> { return this.recorder.idle(); }
}
