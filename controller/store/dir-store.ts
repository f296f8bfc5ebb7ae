// The directory store (`berth controller --dir PATH`, the embedded default): resources come from
// YAML files (multi-document, recursive, watched) validated exactly as `berth validate` validates
// them; uids, generations, tombstones, status, the signing key and minted tokens live in a state
// directory. The reconcilers cannot tell it from the Kubernetes store.
//
// THE RULE — a broken file never deletes anything (details and the pure code in dir-sources.ts):
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
//   state.json                          uids/generations, held resources, last good per file, tombstones
//   status/<Kind>/<ns>/<name>.json      {uid, status} — status is never read from the manifests;
//                                       written behind (see persistStatus), without fsync
//   signing-key.json                    created once, exclusively; never replaced
//   tokens/<ns>/<secretName>.json       {"token": "<jwt>", "url": "<agent url>"} (the Secret's keys)
//   tokens/<ns>/<secretName>.token      just the JWT, for `berth agent --token-file`
// Secret values from the manifests are held in memory only, never copied into the state directory.
//
// Watching: a plain fs.watch on every directory of the tree (dir-watcher.ts says why not Node's
// recursive watch: it goes deaf to files replaced by rename, as git does), the parent directory for a
// configured file; any change → one debounced full
// re-scan; plus a periodic full re-scan as a safety net for missed events. Scans are synchronous, so
// they never interleave; correctness over cleverness.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pino, type Logger } from 'pino';
import { collectManifestFiles } from '../api/manifests.js';
import { agentTokenSecretName, API_VERSION, FINALIZER, keyOf, type AgentToken, type AgentTokenStatus, type ContainerHost, type ContainerHostStatus, type ResourceKey, type SecretData } from '../api/types.js';
import { ResourceValidator } from '../api/validate.js';
import { ConcurrencyLimit, createFileExclusive, ensureDir, KeyedSerializer, writeFileAtomic } from './atomic-file.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { diffResources, resolveSources, resourceId, scanManifestText, type FileScan, type LocatedProblem, type SourceKind, type SourceResource } from './dir-sources.js';
import type { EventRecord, SigningKeyMaterial, SourceProblem, Store, StoreEvent } from './store.js';
import { DirWatcher } from './dir-watcher.js';

export interface DirectoryStoreOptions {
  /** Directories (recursive) and files of manifests. */
  paths: string[];
  stateDir: string;
  logger?: Logger;
  /** Quiet time after a file change before re-scanning (default 50 ms: a user waits on it). */
  debounceMs?: number;
  /**
   * How long a resource must stay gone, across two scans, before it counts as deleted (default
   * 1 s). Longer than the debounce on purpose: a checkout or an editor that briefly removes a file
   * must never turn into a deleted host whose containers the controller then removes.
   */
  deleteConfirmMs?: number;
  /** Namespace of resources that name none (default "default"). */
  namespaceDefault?: string;
  /** Full re-scan interval as a safety net for missed watch events (default 30 s; 0 = off). */
  resyncMs?: number;
  /** The validator to use (default: one built from the package's CRDs). */
  validator?: ResourceValidator;
}

/** An event as kept for the HTTP API; repeats of the same event are counted, as Kubernetes does. */
export interface StoredEvent extends EventRecord { count: number; firstTimestamp: string; lastTimestamp: string }

interface MetaRecord { uid: string; generation: number; creationTimestamp: string; specJson: string }

interface PersistedState {
  version: 1;
  resourceVersion: number;
  /** Last good resources per file (no Secrets). */
  files: Record<string, SourceResource[]>;
  /** What the store held (including removals awaiting confirmation; no Secrets). */
  held: SourceResource[];
  meta: Record<string, MetaRecord>;
  tombstones: ContainerHost[];
}

const STATE_VERSION = 1;
const MAX_EVENTS = 100;
const SAFE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const byKey = (a: { metadata: { namespace: string; name: string } }, b: { metadata: { namespace: string; name: string } }): number => {
  const ka = keyOf(a.metadata);
  const kb = keyOf(b.metadata);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

function errorCode(err: unknown): string | undefined { return (err as NodeJS.ErrnoException | undefined)?.code; }
function errorMessage(err: unknown): string { return err instanceof Error ? err.message : String(err); }
function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export class DirectoryStore implements Store {
  private readonly roots: string[];
  private readonly stateDir: string;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private readonly deleteConfirmMs: number;
  private readonly resyncMs: number;
  private readonly namespaceDefault: string;
  private readonly validator: ResourceValidator;
  private readonly writer = new KeyedSerializer();
  /** Status file path → the newest content not yet written (see persistStatus). */
  private readonly statusPending = new Map<string, string>();
  /** Status files written at once: the libuv pool is shared with token signing and verification. */
  private readonly statusSlots = new ConcurrencyLimit(8);
  /** Directories of the state tree already made with the right mode (made once, not per write). */
  private readonly madeDirs = new Set<string>();

  /** Last good resources per file (see THE RULE). */
  private lastGood = new Map<string, SourceResource[]>();
  /** What the store holds, by resource id (alive resources only; tombstones live in hostMap). */
  private held = new Map<string, SourceResource>();
  /** Ids missing from the desired set, with the time they were first missed (awaiting confirmation). */
  private missing = new Map<string, number>();
  private readonly meta = new Map<string, MetaRecord>();
  private readonly hostMap = new Map<ResourceKey, ContainerHost>();
  private readonly tokenMap = new Map<ResourceKey, AgentToken>();
  private readonly tokenKeyByUid = new Map<string, ResourceKey>();
  private readonly secretMap = new Map<ResourceKey, SecretData>();
  private readonly tokenFiles = new Map<ResourceKey, Set<string>>();
  private resourceVersion = 0;
  private hostList: ContainerHost[] | undefined;
  private tokenList: AgentToken[] | undefined;

  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly eventLog = new Map<string, StoredEvent[]>();
  private problemList: SourceProblem[] = [];
  private readonly problemSince = new Map<string, string>();

  /**
   * Each file's last parse, keyed by what stat(2) says of it. Every scan (a watch event anywhere, and
   * the periodic safety net) looks at every file; re-parsing and re-validating thousands of unchanged
   * manifests each time cost seconds of CPU per scan at 1,000 hosts (bench/scale). Any write changes
   * ctime (nanoseconds) and a replacement changes the inode, so an unchanged signature means
   * unchanged content.
   */
  private readonly parsed = new Map<string, { signature: string; scan: FileScan }>();
  private watcher?: DirWatcher;
  private debounceTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  /** SHA-256 of the state.json last written (the text itself is tens of MB at thousands of hosts). */
  private lastPersisted = '';
  private keyPromise: Promise<SigningKeyMaterial> | undefined;
  /** Fire-and-forget file work started by scans; stop() waits for it. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(options: DirectoryStoreOptions) {
    if (!options.paths.length) throw new Error('directory store: no manifest paths given');
    this.roots = [...new Set(options.paths.map((p) => resolve(p)))];
    this.stateDir = resolve(options.stateDir);
    this.log = options.logger ?? pino({ level: 'silent' });
    this.debounceMs = options.debounceMs ?? 50;
    this.deleteConfirmMs = options.deleteConfirmMs ?? Math.max(1000, this.debounceMs);
    this.resyncMs = options.resyncMs ?? 30_000;
    this.namespaceDefault = options.namespaceDefault ?? 'default';
    this.validator = options.validator ?? new ResourceValidator();
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.started) throw new Error('directory store: already started');
    for (const root of this.roots) {
      if (!existsSync(root)) throw new Error(`directory store: manifest path ${root} does not exist`);
    }
    this.started = true;
    await ensureDir(this.stateDir);
    this.loadState();
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
    this.log.info({ paths: this.roots, stateDir: this.stateDir, hosts: this.hostMap.size, tokens: this.tokenMap.size, problems: this.problemList.length }, 'directory store started');
  }

  async stop(): Promise<void> {
    if (this.started && !this.stopped) this.track(this.persistState());   // the last resourceVersion too
    this.stopped = true;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.watcher?.close();
    while (this.background.size) await Promise.all([...this.background]);
    await this.writer.idle();
  }

  // ---------------------------------------------------------------- reads

  hosts(): ContainerHost[] { return (this.hostList ??= [...this.hostMap.values()].sort(byKey)); }
  host(key: ResourceKey): ContainerHost | undefined { return this.hostMap.get(key); }
  tokens(): AgentToken[] { return (this.tokenList ??= [...this.tokenMap.values()].sort(byKey)); }
  token(key: ResourceKey): AgentToken | undefined { return this.tokenMap.get(key); }
  tokenByUid(uid: string): AgentToken | undefined {
    const key = this.tokenKeyByUid.get(uid);
    return key === undefined ? undefined : this.tokenMap.get(key);
  }
  secret(namespace: string, name: string): SecretData | undefined { return this.secretMap.get(`${namespace}/${name}`); }
  problems(): SourceProblem[] { return this.problemList.map((p) => ({ ...p })); }

  /** The last events recorded about a resource (oldest first), for the HTTP API. */
  events(kind: 'ContainerHost' | 'AgentToken', key: ResourceKey): StoredEvent[] {
    return (this.eventLog.get(`${kind}/${key}`) ?? []).map((e) => ({ ...e }));
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  // ---------------------------------------------------------------- writes

  async writeHostStatus(key: ResourceKey, status: ContainerHostStatus): Promise<void> {
    const host = this.hostMap.get(key);
    if (!host) throw new Error(`ContainerHost ${key} not found`);
    const copy = structuredClone(status);
    this.hostMap.set(key, { ...host, metadata: { ...host.metadata, resourceVersion: String(++this.resourceVersion) }, status: copy });
    this.hostList = undefined;
    this.persistStatus('ContainerHost', key, host.metadata.uid, copy);
  }

  async writeTokenStatus(key: ResourceKey, status: AgentTokenStatus): Promise<void> {
    const token = this.tokenMap.get(key);
    if (!token) throw new Error(`AgentToken ${key} not found`);
    const copy = structuredClone(status);
    this.tokenMap.set(key, { ...token, metadata: { ...token.metadata, resourceVersion: String(++this.resourceVersion) }, status: copy });
    this.tokenList = undefined;
    this.persistStatus('AgentToken', key, token.metadata.uid, copy);
  }

  /** Every host implicitly carries the cleanup finalizer in directory mode. */
  async ensureFinalizer(_key: ResourceKey): Promise<void> { /* nothing to do */ }

  async removeFinalizer(key: ResourceKey): Promise<void> {
    const host = this.hostMap.get(key);
    if (!host?.metadata.deletionTimestamp) return;
    this.hostMap.delete(key);
    this.hostList = undefined;
    this.meta.delete(resourceId('ContainerHost', host.metadata.namespace, host.metadata.name));
    this.eventLog.delete(`ContainerHost/${key}`);
    this.log.info({ kind: 'ContainerHost', key }, 'finalizer removed; host deleted');
    this.emit({ kind: 'ContainerHost', key });
    await Promise.all([this.removeStatus('ContainerHost', key), this.persistState()]);
  }

  async writeAgentToken(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void> {
    const { namespace, name } = token.metadata;
    if (!SAFE_NAME.test(namespace) || !SAFE_NAME.test(secretName)) throw new Error(`invalid token file name ${namespace}/${secretName}`);
    const dir = join(this.stateDir, 'tokens', namespace);
    const json = join(dir, `${secretName}.json`);
    const plain = join(dir, `${secretName}.token`);
    await Promise.all([
      this.writer.run(json, () => this.writeStateFile(json, `${JSON.stringify({ token: jwt, url: agentUrl }, null, 2)}\n`)),
      this.writer.run(plain, () => this.writeStateFile(plain, jwt)),
    ]);
    const key = keyOf(token.metadata);
    const names = this.tokenFiles.get(key) ?? new Set<string>();
    names.add(secretName);
    this.tokenFiles.set(key, names);
    this.log.info({ kind: 'AgentToken', key: `${namespace}/${name}`, file: plain }, 'agent token written');   // never the token
  }

  async signingKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial> {
    this.keyPromise ??= this.loadOrCreateSigningKey(generate).catch((err: unknown) => {
      this.keyPromise = undefined;
      throw err;
    });
    return this.keyPromise;
  }

  recordEvent(kind: 'ContainerHost' | 'AgentToken', key: ResourceKey, event: EventRecord): void {
    const id = `${kind}/${key}`;
    const list = this.eventLog.get(id) ?? [];
    const now = new Date().toISOString();
    const last = list.at(-1);
    if (last && last.type === event.type && last.reason === event.reason && last.message === event.message) {
      last.count += 1;
      last.lastTimestamp = now;
    } else {
      list.push({ type: event.type, reason: event.reason, message: event.message, count: 1, firstTimestamp: now, lastTimestamp: now });
      if (list.length > MAX_EVENTS) list.splice(0, list.length - MAX_EVENTS);
    }
    this.eventLog.set(id, list);
    const fields = { event: true, kind, key, reason: event.reason };
    if (event.type === 'Warning') this.log.warn(fields, event.message);
    else this.log.info(fields, event.message);
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
    const scan = new Map<string, FileScan>();
    const rootProblems: LocatedProblem[] = [];
    /** Whether any file was read and parsed again, or vanished (else the state cannot have changed). */
    let reparsed = false;
    // When to look again without a watch event: soon after a transient listing error, every second
    // while a configured path is missing (there is nothing to watch until it is back).
    let retryMs: number | undefined;
    for (const root of this.roots) {
      let files: string[];
      try {
        files = collectManifestFiles([root]);
      } catch (err) {
        // The path (or part of it, mid-`git pull`) cannot be listed: keep what came from it.
        const gone = !existsSync(root);
        rootProblems.push({ source: root, message: gone ? 'path not found; resources from it keep their last good version' : `cannot list: ${errorMessage(err)}` });
        for (const file of this.lastGood.keys()) if (file === root || file.startsWith(root + sep)) scan.set(file, { state: 'unavailable' });
        retryMs = Math.min(retryMs ?? Infinity, gone ? Math.max(this.debounceMs, 1000) : this.debounceMs);
        continue;
      }
      for (const file of files) {
        let text: string;
        let signature: string;
        try {
          const st = statSync(file, { bigint: true });
          signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
          const known = this.parsed.get(file);
          if (known?.signature === signature) { scan.set(file, known.scan); continue; }
          text = readFileSync(file, 'utf8');
        } catch (err) {
          this.parsed.delete(file);
          reparsed = true;
          if (errorCode(err) === 'ENOENT') continue;   // removed since listing: gone
          scan.set(file, { state: 'broken', issues: [{ message: `cannot read: ${errorMessage(err)}` }] });
          continue;
        }
        reparsed = true;
        const result = scanManifestText(text, file, this.validator, this.namespaceDefault);
        this.parsed.set(file, { signature, scan: result });
        scan.set(file, result);
      }
    }

    for (const file of this.parsed.keys()) if (!scan.has(file)) { this.parsed.delete(file); reparsed = true; }
    const pendingBefore = this.missing.size > 0;
    const resolved = resolveSources(this.lastGood, scan);
    const now = Date.now();
    const confirmed = new Set([...this.missing].filter(([, since]) => now - since >= this.deleteConfirmMs).map(([id]) => id));
    const diff = diffResources(this.held, resolved.desired, confirmed);
    this.lastGood = resolved.lastGood;
    this.held = diff.next;
    this.missing = new Map([...diff.pending].map((id) => [id, this.missing.get(id) ?? now]));

    for (const r of diff.upserted) this.upsert(r, false);
    for (const id of diff.removed) this.remove(id);
    this.setProblems([...rootProblems, ...resolved.problems]);
    this.ensureWatchers();
    // Serializing the whole state to find out that it did not change cost ~0.3 s per scan at 5,000
    // hosts; a scan that parsed nothing new, removed nothing and confirmed nothing changed nothing.
    if (reparsed || diff.upserted.length || diff.removed.length || this.missing.size || pendingBefore) this.track(this.persistState());
    if (this.missing.size) {
      // Look again when the oldest pending removal can be confirmed.
      const oldest = Math.min(...this.missing.values());
      this.schedule(Math.max(this.debounceMs, this.deleteConfirmMs - (Date.now() - oldest)));
    }
    else if (retryMs !== undefined) this.schedule(retryMs);
  }

  private setProblems(found: LocatedProblem[]): void {
    const now = new Date().toISOString();
    const sources = new Set(found.map((p) => p.source));
    for (const [source] of this.problemSince) {
      if (!sources.has(source)) {
        this.problemSince.delete(source);
        this.log.info({ source }, 'manifest problem resolved');
      }
    }
    const before = new Set(this.problemList.map((p) => `${p.source}\0${p.line}\0${p.message}`));
    this.problemList = found.map((p) => {
      if (!this.problemSince.has(p.source)) this.problemSince.set(p.source, now);
      const problem: SourceProblem = defined({ source: p.source, line: p.line, message: p.message, since: this.problemSince.get(p.source)! });
      if (!before.has(`${p.source}\0${p.line}\0${p.message}`)) this.log.warn({ source: p.source, line: p.line }, `manifest problem: ${p.message}`);
      return problem;
    });
  }

  /** A resource appeared or its content changed (or, with silent, is being restored from state). */
  private upsert(r: SourceResource, silent: boolean): void {
    const key = `${r.namespace}/${r.name}`;
    if (r.kind === 'Secret') {
      const body = r.object as { type: string; data: Record<string, string> };
      const data: Record<string, Buffer> = {};
      for (const [k, v] of Object.entries(body.data)) data[k] = Buffer.from(v, 'base64');
      this.secretMap.set(key, { namespace: r.namespace, name: r.name, type: body.type, data });
      if (!silent) {
        this.log.info({ kind: 'Secret', key, source: r.file }, 'secret changed');
        this.emit({ kind: 'Secret', key });
      }
      return;
    }
    const spec = (r.object.spec ?? {}) as Record<string, unknown>;
    const specJson = canonicalJson(spec);
    const previous = r.kind === 'ContainerHost' ? this.hostMap.get(key) : this.tokenMap.get(key);
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
    if (r.kind === 'ContainerHost') {
      const host = defined({ apiVersion: API_VERSION, kind: 'ContainerHost', metadata, spec: structuredClone(spec), status }) as unknown as ContainerHost;
      this.hostMap.set(key, host);
      this.hostList = undefined;
    } else {
      const token = defined({ apiVersion: API_VERSION, kind: 'AgentToken', metadata, spec: structuredClone(spec), status }) as unknown as AgentToken;
      if (previous && previous.metadata.uid !== meta.uid) this.tokenKeyByUid.delete(previous.metadata.uid);
      this.tokenMap.set(key, token);
      this.tokenKeyByUid.set(meta.uid, key);
      this.tokenList = undefined;
    }
    if (silent) return;
    const change = !old ? 'created' : reviving ? 'declared again while being deleted; deletion cancelled' : old.specJson !== specJson ? 'spec changed' : 'metadata changed';
    this.log.info({ kind: r.kind, key, source: r.file, generation: meta.generation }, `${r.kind} ${change}`);
    if (reviving) this.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'DeletionCancelled', message: `declared again in ${r.file}; deletion cancelled` });
    this.emit({ kind: r.kind, key });
  }

  /** A confirmed removal: hosts become tombstones, tokens and secrets go. */
  private remove(id: string): void {
    const [kind, namespace, ...rest] = id.split('/') as [SourceKind, string, ...string[]];
    const key = `${namespace}/${rest.join('/')}`;
    if (kind === 'Secret') {
      this.secretMap.delete(key);
      this.log.info({ kind, key }, 'secret removed');
      this.emit({ kind, key });
      return;
    }
    if (kind === 'AgentToken') {
      const token = this.tokenMap.get(key);
      this.tokenMap.delete(key);
      this.tokenList = undefined;
      this.meta.delete(id);
      this.eventLog.delete(`AgentToken/${key}`);
      if (token) this.tokenKeyByUid.delete(token.metadata.uid);
      this.log.info({ kind, key }, 'AgentToken removed from the manifests; its tokens are revoked');
      this.emit({ kind, key });
      this.track(this.removeStatus('AgentToken', key));
      this.track(this.removeTokenFiles(key, token));
      return;
    }
    const host = this.hostMap.get(key);
    if (!host || host.metadata.deletionTimestamp) return;
    this.hostMap.set(key, {
      ...host,
      metadata: { ...host.metadata, resourceVersion: String(++this.resourceVersion), deletionTimestamp: new Date().toISOString(), finalizers: [FINALIZER] },
    });
    this.hostList = undefined;
    this.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'Deleting', message: 'removed from the manifests; waiting for cleanup (finalizer berth.dev/cleanup)' });
    this.emit({ kind, key });
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => { this.log.warn({ err: errorMessage(err) }, 'directory store background write failed'); })
      .finally(() => { this.background.delete(p); });
    this.background.add(p);
  }

  private emit(event: StoreEvent): void {
    for (const listener of [...this.listeners]) {
      try { listener(event); } catch (err) { this.log.error({ err, kind: event.kind, key: event.key }, 'store listener failed'); }
    }
  }

  // ---------------------------------------------------------------- watching

  private ensureWatchers(): void {
    if (this.stopped || !this.started) return;
    this.watcher ??= new DirWatcher({
      roots: this.roots, exclude: this.stateDir,
      onChange: () => this.schedule(),
      onError: (err, dir) => this.log.warn({ err, path: dir }, 'watch failed; relying on periodic re-scans until it can be re-established'),
    });
    this.watcher.sync();
  }

  // ---------------------------------------------------------------- persistence

  private get statePath(): string { return join(this.stateDir, 'state.json'); }

  private statusPath(kind: 'ContainerHost' | 'AgentToken', key: ResourceKey): string {
    const [namespace, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    return join(this.stateDir, 'status', kind, namespace, `${name}.json`);
  }

  /** Restore what the last run held, without emitting: the first scan then reports the real changes. */
  private loadState(): void {
    let state: PersistedState | undefined;
    try {
      state = JSON.parse(readFileSync(this.statePath, 'utf8')) as PersistedState;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      throw new Error(`directory store: state file ${this.statePath} is unreadable (${errorMessage(err)}); move it away to start from scratch — uids, tombstones and generations would be lost`);
    }
    if (state.version !== STATE_VERSION) throw new Error(`directory store: state file ${this.statePath} has version ${String(state.version)}, expected ${STATE_VERSION}`);
    this.resourceVersion = state.resourceVersion;
    for (const [id, m] of Object.entries(state.meta)) this.meta.set(id, m);
    this.lastGood = new Map(Object.entries(state.files));
    for (const host of state.tombstones) this.hostMap.set(keyOf(host.metadata), host);
    for (const r of state.held) {
      this.held.set(r.id, r);
      this.upsert(r, true);
    }
    // Drop records of resources that are neither held nor tombstoned (a new one gets a new uid).
    for (const id of [...this.meta.keys()]) {
      const [kind, ...rest] = id.split('/');
      const key = rest.join('/');
      if (this.held.has(id) || (kind === 'ContainerHost' && this.hostMap.has(key))) continue;
      this.meta.delete(id);
    }
    for (const host of this.hostMap.values()) {
      const status = this.readStatus('ContainerHost', keyOf(host.metadata), host.metadata.uid);
      if (status) this.hostMap.set(keyOf(host.metadata), { ...host, status: status as ContainerHostStatus });
    }
    for (const token of this.tokenMap.values()) {
      const status = this.readStatus('AgentToken', keyOf(token.metadata), token.metadata.uid);
      if (status) this.tokenMap.set(keyOf(token.metadata), { ...token, status: status as AgentTokenStatus });
    }
    this.hostList = undefined;
    this.tokenList = undefined;
  }

  private readStatus(kind: 'ContainerHost' | 'AgentToken', key: ResourceKey, uid: string): unknown {
    try {
      const saved = JSON.parse(readFileSync(this.statusPath(kind, key), 'utf8')) as { uid?: string; status?: unknown };
      return saved.uid === uid ? saved.status : undefined;
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') this.log.warn({ kind, key, err: errorMessage(err) }, 'ignoring unreadable status file');
      return undefined;
    }
  }

  private snapshot(): string {
    const noSecrets = (list: Iterable<SourceResource>): SourceResource[] => [...list].filter((r) => r.kind !== 'Secret');
    const state: PersistedState = {
      version: STATE_VERSION,
      resourceVersion: this.resourceVersion,
      files: Object.fromEntries([...this.lastGood].sort(([a], [b]) => (a < b ? -1 : 1)).map(([f, list]) => [f, noSecrets(list)])),
      held: noSecrets(this.held.values()),
      meta: Object.fromEntries([...this.meta].sort(([a], [b]) => (a < b ? -1 : 1))),
      tombstones: [...this.hostMap.values()].filter((h) => h.metadata.deletionTimestamp).sort(byKey).map(({ status: _status, ...h }) => h as ContainerHost),
    };
    return `${JSON.stringify(state, null, 1)}\n`;
  }

  /** Write state.json if it changed; the snapshot is taken when the write runs, so queued writes coalesce. */
  private persistState(): Promise<void> {
    const path = this.statePath;
    return this.writer.run(path, async () => {
      const text = this.snapshot();
      const digest = createHash('sha256').update(text).digest('hex');
      if (digest === this.lastPersisted) return;
      await writeFileAtomic(path, text, 0o600);
      this.lastPersisted = digest;
    }).catch((err: unknown) => { this.log.error({ err: errorMessage(err), path }, 'cannot persist directory store state'); });
  }

  /**
   * Status is written behind: the in-memory copy (what the API serves and the reconcilers read) is
   * updated at once and the file follows. A reconcile never waits for the disk — with thousands of
   * hosts, four workers each waiting for a file write capped the whole controller at a few hundred
   * reconciles a second — and writes of the same file coalesce: a status replaced before its write
   * started is never written. stop() waits for every pending write. A crash may lose the last
   * statuses; they are recomputed from the agents' reports after the restart anyway.
   */
  private persistStatus(kind: 'ContainerHost' | 'AgentToken', key: ResourceKey, uid: string, status: unknown): void {
    const path = this.statusPath(kind, key);
    const queued = this.statusPending.has(path);
    this.statusPending.set(path, `${JSON.stringify({ uid, status })}\n`);
    if (queued) return;   // the write already queued for this file picks up the newest content
    this.track(this.writer.run(path, async () => {
      const text = this.statusPending.get(path);
      this.statusPending.delete(path);
      if (text === undefined) return;   // removed meanwhile
      await this.statusSlots.run(() => this.writeStateFile(path, text, { sync: false }));
    }));
  }

  /** Write a file of the state tree atomically, making its directories; remade if someone removed them. */
  private async writeStateFile(path: string, text: string, opts: { sync?: boolean } = {}): Promise<void> {
    await this.ensureStateDirs(dirname(path));
    try {
      await writeFileAtomic(path, text, 0o600, opts);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      this.madeDirs.clear();
      await this.ensureStateDirs(dirname(path));
      await writeFileAtomic(path, text, 0o600, opts);
    }
  }

  /** Make DIR and its parents below the state directory (mode 0700), once per run. */
  private async ensureStateDirs(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    const chain: string[] = [];
    for (let d = dir; d.startsWith(this.stateDir + sep); d = dirname(d)) chain.unshift(d);
    for (const d of chain) {
      if (this.madeDirs.has(d)) continue;
      await ensureDir(d);
      this.madeDirs.add(d);
    }
  }

  private removeStatus(kind: 'ContainerHost' | 'AgentToken', key: ResourceKey): Promise<void> {
    const path = this.statusPath(kind, key);
    this.statusPending.delete(path);
    return this.writer.run(path, () => fsp.rm(path, { force: true }))
      .catch((err: unknown) => { this.log.warn({ err: errorMessage(err), path }, 'cannot remove status file'); });
  }

  /** Tokens of a deleted AgentToken are useless (revoked); remove their files, like the Secret's GC. */
  private async removeTokenFiles(key: ResourceKey, token: AgentToken | undefined): Promise<void> {
    const namespace = key.slice(0, key.indexOf('/'));
    const names = this.tokenFiles.get(key) ?? new Set<string>();
    this.tokenFiles.delete(key);
    if (token) names.add(agentTokenSecretName(token));
    for (const name of names) {
      if (!SAFE_NAME.test(name)) continue;
      for (const ext of ['json', 'token']) {
        const path = join(this.stateDir, 'tokens', namespace, `${name}.${ext}`);
        await this.writer.run(path, () => fsp.rm(path, { force: true })).catch(() => undefined);
      }
    }
  }

  private async loadOrCreateSigningKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial> {
    const path = join(this.stateDir, 'signing-key.json');
    await ensureDir(this.stateDir);
    const existing = await this.readSigningKey(path);
    if (existing) return existing;
    const material = await generate();
    if (await createFileExclusive(path, `${JSON.stringify(material)}\n`, 0o600)) {
      this.log.info({ kid: material.kid, path }, 'signing key created');
      return material;
    }
    // Another process created it first: use theirs.
    const theirs = await this.readSigningKey(path);
    if (!theirs) throw new Error(`signing key ${path} vanished while being created`);
    return theirs;
  }

  private async readSigningKey(path: string): Promise<SigningKeyMaterial | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(path, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    let material: SigningKeyMaterial;
    try {
      material = JSON.parse(text) as SigningKeyMaterial;
      if (typeof material.kid !== 'string' || typeof material.privateJwk !== 'object' || typeof material.publicJwk !== 'object') throw new Error('missing kid, privateJwk or publicJwk');
    } catch (err) {
      // Never replace a key silently: every token signed with it would stop working.
      throw new Error(`signing key file ${path} is corrupt (${errorMessage(err)}); refusing to replace it — remove it to mint a new key (existing agent tokens then stop working)`);
    }
    const { mode } = await fsp.stat(path);
    if (mode & 0o077) {
      this.log.warn({ path, mode: (mode & 0o777).toString(8) }, 'signing key file was readable by others; setting mode 0600');
      await fsp.chmod(path, 0o600);
    }
    return material;
  }
}

// Re-exported for callers that want the pure logic without the store.
export { collectDesired, diffResources, resolveSources, scanManifestText } from './dir-sources.js';
