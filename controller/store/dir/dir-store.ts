// The directory store (`berth controller --dir PATH`, the embedded default): resources come from
// YAML files (multi-document, recursive, watched) validated exactly as `berth validate` validates
// them; uids, generations, tombstones, status, the signing key and minted tokens live in a state
// directory. The reconcilers cannot tell it from the Kubernetes store.
//
// THE RULE — a broken file never deletes anything (details and the pure code in sources.ts):
//   A file that fails to parse or validate is reported in problems() (file, line, message, since)
//   and its resources keep their last good version, across restarts too (the last good version of
//   every file is persisted). Only a resource that is gone from a file that parsed and validated,
//   or whose file was deleted, counts as deleted, and only when two scans at least one debounce
//   apart agree. A configured path that vanishes is a problem, not a deletion.
//
// Deletion works like Kubernetes finalizers: every ContainerHost implicitly carries
// `berth.dev/cleanup`. A host that leaves the files becomes a tombstone (deletionTimestamp set,
// persisted, so a restart still cleans up) and is dropped only when the controller calls
// removeFinalizer(). A host declared again while tombstoned comes back alive with the SAME uid (so
// containers labelled with berth.dev/host-uid stay adopted) and generation + 1. A resource
// re-created after it was fully dropped gets a new uid. AgentTokens and Secrets go at once.
//
// State directory layout (directory 0700, files 0600, every write atomic: tmp file + rename):
//   state.json                          uids/generations, held resources, last good per file,
//                                       tombstones (state-file.ts)
//   status/<Kind>/<ns>/<name>.json      {uid, status} — status is never read from the manifests;
//                                       written behind, without fsync (status-files.ts)
//   signing-key.json                    created once, exclusively; never replaced (signing-key-file.ts)
//   tokens/<ns>/<secretName>.json       {"token": "<jwt>", "url": "<agent url>"} (the Secret's keys)
//   tokens/<ns>/<secretName>.token      just the JWT, for `berth agent --token-file` (token-files.ts)
// Secret values from the manifests are held in memory only, never copied into the state directory.
//
// Watching: a plain fs.watch on every directory of the tree (watcher.ts says why not Node's recursive
// watch: it goes deaf to files replaced by rename, as git does), the parent directory for a file; any
// change → one debounced full re-scan (scan.ts); plus a periodic full re-scan as a safety net. Scans
// are synchronous, so they never interleave; correctness over cleverness.
//
// This file folds scans into the resources (upsert, remove: uids, generations, tombstones) and
// implements the Store; what is held in memory is the shared StoreCache.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import type { EventKind } from '../event-log.js';
import { API_VERSION, FINALIZER, keyOf, type AgentToken, type ContainerHost, type ContainerHostStatus, type ContainerSet, type ContainerSetStatus, type ResourceKey } from '../../api/types.js';
import { ResourceValidator } from '../../api/validate.js';
import { CachedStore } from '../cached-store.js';
import type { EventRecord, SigningKeyMaterial, SourceProblem, TokenStatusUpdate } from '../store.js';
import { errorMessage } from '../../lib/errors.js';
import { defined } from '../../lib/objects.js';
import { specDigest } from './digest.js';
import { deepFrozen } from './frozen.js';
import { ProblemTracker } from './problems.js';
import { ManifestScanner } from './scan.js';
import { loadOrCreateSigningKey } from './signing-key-file.js';
import { diffResources, resolveSources, resourceId, type SourceKind, type SourceResource } from './sources.js';
import { StateDir } from './state-dir.js';
import { StateFile, stateSnapshot, type MetaRecord } from './state-file.js';
import { StatusFiles } from './status-files.js';
import { TokenFiles } from './token-files.js';
import { DirWatcher } from './watcher.js';
import type { DirectoryStoreOptions } from './dir-store-options.js';

export type { DirectoryStoreOptions } from './dir-store-options.js';

export class DirectoryStore extends CachedStore {
  private readonly roots: string[];
  private readonly stateDirPath: string;
  private readonly debounceMs: number;
  private readonly deleteConfirmMs: number;
  private readonly resyncMs: number;
  private readonly scanner: ManifestScanner;
  private readonly problemTracker: ProblemTracker;
  private readonly stateDir: StateDir;
  private readonly stateFile: StateFile;
  private readonly statusFiles: StatusFiles;
  private readonly tokenFiles: TokenFiles;

  /** Last good resources per file (see THE RULE). */
  private lastGood = new Map<string, SourceResource[]>();
  /** What the store holds, by resource id (alive resources only; tombstones live in the cache). */
  private held = new Map<string, SourceResource>();
  /** Ids missing from the desired set, with the time they were first missed (awaiting confirmation). */
  private missing = new Map<string, number>();
  private readonly meta = new Map<string, MetaRecord>();
  private resourceVersion = 0;

  private watcher?: DirWatcher;
  private debounceTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private keyPromise: Promise<SigningKeyMaterial> | undefined;
  /** Fire-and-forget file work started by scans and status writes; stop() waits for it. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(options: DirectoryStoreOptions) {
    if (!options.paths.length) throw new Error('directory store: no manifest paths given');
    super(options.logger ?? pino({ level: 'silent' }));
    this.roots = [...new Set(options.paths.map((p) => resolve(p)))];
    this.stateDirPath = resolve(options.stateDir);
    this.debounceMs = options.debounceMs ?? 50;
    this.deleteConfirmMs = options.deleteConfirmMs ?? Math.max(1000, this.debounceMs);
    this.resyncMs = options.resyncMs ?? 30_000;
    this.scanner = new ManifestScanner({
      roots: this.roots, validator: options.validator ?? new ResourceValidator(),
      namespaceDefault: options.namespaceDefault ?? 'default', debounceMs: this.debounceMs,
    });
    this.problemTracker = new ProblemTracker(this.log);
    this.stateDir = new StateDir(this.stateDirPath);
    this.stateFile = new StateFile(this.stateDir, this.log);
    this.statusFiles = new StatusFiles(this.stateDir, this.log, (work) => this.track(work));
    this.tokenFiles = new TokenFiles(this.stateDir, this.log, options.agentCa, (uid) => this.cache.tokenByUid(uid) !== undefined);
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.started) throw new Error('directory store: already started');
    for (const root of this.roots) {
      if (!existsSync(root)) throw new Error(`directory store: manifest path ${root} does not exist`);
    }
    await this.stateDir.ensure();
    this.loadState();
    // Only now: a stop() after a state.json that failed to load must not overwrite it with nothing.
    this.started = true;
    // The first full view; removals it finds (files deleted while we were down) are confirmed by a
    // second scan deleteConfirmMs later before start() resolves.
    this.scanNow();
    if (this.missing.size) {
      await new Promise((r) => setTimeout(r, this.deleteConfirmMs));
      this.scanNow();
    }
    await this.persistState();
    this.ensureWatchers();
    if (this.resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.scanNow(), this.resyncMs);
      this.resyncTimer.unref();
    }
    const { hosts, tokens } = this.cache.counts;
    this.log.info({ paths: this.roots, stateDir: this.stateDirPath, hosts, tokens, problems: this.problemTracker.size }, 'directory store started');
  }

  async stop(): Promise<void> {
    if (this.started && !this.stopped) this.track(this.persistState());   // the last resourceVersion too
    this.stopped = true;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.watcher?.close();
    while (this.background.size) await Promise.all([...this.background]);
    await this.stateDir.idle();
  }

  // ---------------------------------------------------------------- reads

  problems(): SourceProblem[] { return this.problemTracker.list(); }

  // ---------------------------------------------------------------- writes

  async writeHostStatus(key: ResourceKey, status: ContainerHostStatus): Promise<void> {
    const host = this.cache.host(key);
    if (!host) throw new Error(`ContainerHost ${key} not found`);
    const copy = structuredClone(status);
    this.cache.setHost(key, { ...host, metadata: { ...host.metadata, resourceVersion: String(++this.resourceVersion) }, status: copy });
    this.statusFiles.write('ContainerHost', key, host.metadata.uid, copy);
    this.cache.wroteStatus({ kind: 'ContainerHost', key });
  }

  async writeTokenStatus(key: ResourceKey, update: TokenStatusUpdate): Promise<void> {
    const token = this.cache.token(key);
    if (!token) throw new Error(`AgentToken ${key} not found`);
    const status = typeof update === 'function' ? update(token.status) : update;
    if (status === undefined) return;
    const copy = structuredClone(status);
    this.cache.setToken(key, { ...token, metadata: { ...token.metadata, resourceVersion: String(++this.resourceVersion) }, status: copy });
    this.statusFiles.write('AgentToken', key, token.metadata.uid, copy);
    this.cache.wroteStatus({ kind: 'AgentToken', key });
  }

  /** Durable before it resolves (hosts act on a set's status): see Store.writeSetStatus. */
  async writeSetStatus(key: ResourceKey, status: ContainerSetStatus): Promise<void> {
    const set = this.cache.set(key);
    if (!set) throw new Error(`ContainerSet ${key} not found`);
    const copy = structuredClone(status);
    await this.statusFiles.writeDurable('ContainerSet', key, set.metadata.uid, copy);
    const now = this.cache.set(key);
    if (!now || now.metadata.uid !== set.metadata.uid) return;   // deleted or re-created meanwhile
    this.cache.setSet(key, { ...now, metadata: { ...now.metadata, resourceVersion: String(++this.resourceVersion) }, status: copy });
    this.cache.wroteStatus({ kind: 'ContainerSet', key });
  }

  /** Every host implicitly carries the cleanup finalizer in directory mode. */
  async ensureFinalizer(_key: ResourceKey): Promise<void> { /* nothing to do */ }

  async removeFinalizer(key: ResourceKey): Promise<void> {
    const host = this.cache.host(key);
    if (!host?.metadata.deletionTimestamp) return;
    this.cache.deleteHost(key);
    this.meta.delete(resourceId('ContainerHost', host.metadata.namespace, host.metadata.name));
    this.eventLog.forget('ContainerHost', key);
    this.log.info({ kind: 'ContainerHost', key }, 'finalizer removed; host deleted');
    this.cache.changed({ kind: 'ContainerHost', key });
    await Promise.all([this.statusFiles.remove('ContainerHost', key), this.persistState()]);
  }

  writeAgentToken(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void> {
    return this.tokenFiles.write(token, secretName, jwt, agentUrl);
  }

  async signingKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial> {
    this.keyPromise ??= loadOrCreateSigningKey(this.stateDir, generate, this.log).catch((err: unknown) => {
      this.keyPromise = undefined;
      throw err;
    });
    return this.keyPromise;
  }

  recordEvent(kind: EventKind, key: ResourceKey, event: EventRecord): void {
    this.eventLog.record(kind, key, event);
  }

  // ---------------------------------------------------------------- scanning

  private schedule(delay = this.debounceMs): void {
    if (this.stopped) return;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => { this.debounceTimer = undefined; this.scanNow(); }, delay);
  }

  /** Look at every file, fold the result into the held set (THE RULE), emit, persist. Synchronous. */
  private scanNow(): void {
    if (this.stopped) return;
    const scan = this.scanner.scan(this.lastGood.keys());
    const pendingBefore = this.missing.size > 0;
    const resolved = resolveSources(this.lastGood, scan.files);
    const now = Date.now();
    const confirmed = new Set([...this.missing].filter(([, since]) => now - since >= this.deleteConfirmMs).map(([id]) => id));
    const diff = diffResources(this.held, resolved.desired, confirmed);
    this.lastGood = resolved.lastGood;
    this.held = diff.next;
    this.missing = new Map([...diff.pending].map((id) => [id, this.missing.get(id) ?? now]));

    for (const r of diff.upserted) this.upsert(r, false);
    for (const id of diff.removed) this.remove(id);
    this.problemTracker.set([...scan.rootProblems, ...resolved.problems]);
    this.ensureWatchers();
    // Serializing the whole state cost ~0.3 s per scan at 5,000 hosts: only after a scan that changed something.
    if (scan.reparsed || diff.upserted.length || diff.removed.length || this.missing.size || pendingBefore) this.track(this.persistState());
    if (this.missing.size) {
      // Look again when the oldest pending removal can be confirmed.
      const oldest = Math.min(...this.missing.values());
      this.schedule(Math.max(this.debounceMs, this.deleteConfirmMs - (Date.now() - oldest)));
    }
    else if (scan.retryMs !== undefined) this.schedule(scan.retryMs);
  }

  /** A resource appeared or its content changed (or, with silent, is being restored from state). */
  private upsert(r: SourceResource, silent: boolean): void {
    const key = `${r.namespace}/${r.name}`;
    if (r.kind === 'Secret' || r.kind === 'ConfigMap') {
      const body = r.object as { type?: string; data: Record<string, string> };
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(body.data)) data[k] = Buffer.from(v, 'base64');
      if (r.kind === 'Secret') this.cache.setSecret(key, { namespace: r.namespace, name: r.name, type: body.type ?? 'Opaque', data });
      else this.cache.setConfigMap(key, { namespace: r.namespace, name: r.name, data });
      if (!silent) {
        this.log.info({ kind: r.kind, key, source: r.file }, `${r.kind} changed`);   // never its data
        this.cache.changed({ kind: r.kind, key });
      }
      return;
    }
    const spec = deepFrozen((r.object.spec ?? {}) as Record<string, unknown>);   // shared with the cache: frozen.ts
    const specJson = specDigest(spec);   // a digest (digest.ts), despite the persisted field's name
    const previous = r.kind === 'ContainerHost' ? this.cache.host(key) : r.kind === 'ContainerSet' ? this.cache.set(key) : this.cache.token(key);
    const reviving = !!previous?.metadata.deletionTimestamp;
    const old = this.meta.get(r.id);
    const meta: MetaRecord = !old
      ? { uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString(), specJson }
      : { ...old, specJson, generation: reviving || old.specJson !== specJson ? old.generation + 1 : old.generation };
    this.meta.set(r.id, meta);
    const source = r.object.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
    const metadata = defined({
      name: r.name, namespace: r.namespace, uid: meta.uid, generation: meta.generation,
      resourceVersion: String(++this.resourceVersion), creationTimestamp: meta.creationTimestamp,
      labels: source.labels ? { ...source.labels } : undefined,
      annotations: source.annotations ? { ...source.annotations } : undefined,
      finalizers: r.kind === 'ContainerHost' ? [FINALIZER] : undefined,
    });
    // Status belongs to the uid: carried over from the object it replaces.
    const status = previous?.metadata.uid === meta.uid ? previous.status : undefined;
    const object = defined({ apiVersion: API_VERSION, kind: r.kind, metadata, spec, status });
    if (r.kind === 'ContainerHost') this.cache.setHost(key, object as unknown as ContainerHost);
    else if (r.kind === 'ContainerSet') this.cache.setSet(key, object as unknown as ContainerSet);
    else this.cache.setToken(key, object as unknown as AgentToken);
    if (silent) return;
    const change = !old ? 'created' : reviving ? 'declared again while being deleted; deletion cancelled' : old.specJson !== specJson ? 'spec changed' : 'metadata changed';
    this.log.info({ kind: r.kind, key, source: r.file, generation: meta.generation }, `${r.kind} ${change}`);
    if (reviving) this.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'DeletionCancelled', message: `declared again in ${r.file}; deletion cancelled` });
    this.cache.changed({ kind: r.kind, key });
  }

  /** A confirmed removal: hosts become tombstones, tokens and secrets go. */
  private remove(id: string): void {
    const [kind, namespace, ...rest] = id.split('/') as [SourceKind, string, ...string[]];
    const key = `${namespace}/${rest.join('/')}`;
    if (kind === 'Secret' || kind === 'ConfigMap') {
      if (kind === 'Secret') this.cache.deleteSecret(key);
      else this.cache.deleteConfigMap(key);
      this.log.info({ kind, key }, `${kind} removed`);
      this.cache.changed({ kind, key });
      return;
    }
    if (kind === 'ContainerSet') {
      // No finalizer: the hosts drop the set's containers once it is gone (their own reconcile).
      this.cache.deleteSet(key);
      this.meta.delete(id);
      this.eventLog.forget('ContainerSet', key);
      this.log.info({ kind, key }, 'ContainerSet removed from the manifests');
      this.cache.changed({ kind, key });
      this.track(this.statusFiles.remove('ContainerSet', key));
      return;
    }
    if (kind === 'AgentToken') {
      const token = this.cache.token(key);
      this.cache.deleteToken(key);
      this.meta.delete(id);
      this.eventLog.forget('AgentToken', key);
      this.log.info({ kind, key }, 'AgentToken removed from the manifests; its tokens are revoked');
      this.cache.changed({ kind, key });
      this.track(this.statusFiles.remove('AgentToken', key));
      this.track(this.tokenFiles.remove(key, token));
      return;
    }
    const host = this.cache.host(key);
    if (!host || host.metadata.deletionTimestamp) return;
    this.cache.setHost(key, {
      ...host,
      metadata: { ...host.metadata, resourceVersion: String(++this.resourceVersion), deletionTimestamp: new Date().toISOString(), finalizers: [FINALIZER] },
    });
    this.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'Deleting', message: 'removed from the manifests; waiting for cleanup (finalizer berth.dev/cleanup)' });
    this.cache.changed({ kind, key });
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => { this.log.warn({ err: errorMessage(err) }, 'directory store background write failed'); })
      .finally(() => { this.background.delete(p); });
    this.background.add(p);
  }

  private ensureWatchers(): void {
    if (this.stopped || !this.started) return;
    this.watcher ??= new DirWatcher({
      roots: this.roots, exclude: this.stateDirPath,
      onChange: () => this.schedule(),
      onError: (err, dir) => this.log.warn({ err, path: dir }, 'watch failed; relying on periodic re-scans until it can be re-established'),
    });
    this.watcher.sync();
  }

  // ---------------------------------------------------------------- persistence

  /** Restore what the last run held, without emitting: the first scan then reports the real changes. */
  private loadState(): void {
    const state = this.stateFile.load();
    if (!state) return;
    this.resourceVersion = state.resourceVersion;
    for (const [id, m] of Object.entries(state.meta)) this.meta.set(id, m);
    this.lastGood = new Map(Object.entries(state.files));
    for (const host of state.tombstones) this.cache.setHost(keyOf(host.metadata), host);
    for (const r of state.held) {
      this.held.set(r.id, r);
      this.upsert(r, true);
    }
    // Drop records of resources that are neither held nor tombstoned (a new one gets a new uid).
    for (const id of [...this.meta.keys()]) {
      const [kind, ...rest] = id.split('/');
      const key = rest.join('/');
      if (this.held.has(id) || (kind === 'ContainerHost' && this.cache.host(key))) continue;
      this.meta.delete(id);
    }
    this.statusFiles.restoreInto(this.cache);
  }

  /** Write state.json if it changed (the snapshot is taken when the write runs). */
  private persistState(): Promise<void> {
    return this.stateFile.persist(() => stateSnapshot({
      resourceVersion: this.resourceVersion, lastGood: this.lastGood, held: this.held.values(), meta: this.meta, hosts: this.cache.hosts(),
    }));
  }
}
