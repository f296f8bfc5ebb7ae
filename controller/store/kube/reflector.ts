// One informer ("reflector" in client-go's words): list + watch of one collection, an in-memory
// cache keyed by namespace/name, and a callback per change. Written here instead of using
// client-node's ListWatch/makeInformer because of the known pitfalls, each handled explicitly:
//
// 1. ListWatch stops for good on any error that is not 410 (it only calls the error callbacks):
//    one apiserver restart or a network blip and the cache silently freezes. This loop never gives
//    up after start(): every failure is logged, reported through problem() (the store's problems())
//    and retried with capped, jittered exponential backoff; the cache keeps serving meanwhile.
// 2. 410 Gone ("too old resource version", as an HTTP status when the watch starts or as an ERROR
//    event in the stream; also an expired list continue token) means the events in between are
//    lost: relist at once, then diff the new list against the cache so deletions made while we were
//    away are reported too.
// 3. A watch can stall silently (a half-open TCP connection after a NAT/LB drop or a frozen peer):
//    nothing errors, nothing arrives, forever. We ask for bookmarks (allowWatchBookmarks=true; the
//    apiserver then sends one about every minute even when nothing changes) and run a watchdog:
//    when a request in flight has shown no sign of life (no event, no bookmark, no list data) for
//    watchdogMs, it is torn down and we relist. Lists get a shorter bound of their own.
// 4. Watches also end normally (timeoutSeconds, 5–10 min, randomised so replicas do not
//    reconnect in step); that is a plain re-watch from the last resourceVersion, no backoff — unless
//    it ended at once without a line, which counts as a failure (no tight loop).
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { errorMessage } from '../../lib/errors.js';
import { asKubeError, KubeError, KubeHttp, type OpenRequest } from '../../kube/api.js';
import { rawKey, type RawObject } from './objects.js';

export type ChangeType = 'add' | 'update' | 'delete';

export interface ReflectorOptions {
  http: KubeHttp;
  /** For logs and problems, e.g. "ContainerHost". */
  kind: string;
  /** The collection, e.g. /apis/berth.dev/v1alpha1/containerhosts or /api/v1/namespaces/x/secrets. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  log: Logger;
  onChange: (type: ChangeType, obj: RawObject, old: RawObject | undefined) => void;
  /** Tear down a request with no sign of life for this long and relist (default 5 min). */
  watchdogMs?: number;
  /** Bound on the silence of one list page, and on a watch request until its headers arrive (default min(watchdogMs, 60 s)). */
  listTimeoutMs?: number;
  /** Retry backoff after failures (defaults 500 ms doubling to 30 s, with jitter). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** How long start() keeps retrying the first list before it gives up (default 60 s). */
  startTimeoutMs?: number;
  pageSize?: number;
  /** Appended to the start error when the collection does not exist (404), e.g. "are the CRDs installed?". */
  notFoundHint?: string;
}

export interface ReflectorProblem { message: string; since: string }

/** Thrown into a request the watchdog tears down. */
export class StallError extends Error {
  constructor(message: string) { super(message); this.name = 'StallError'; }
}
class ResyncSignal extends Error {
  constructor() { super('periodic resync'); this.name = 'ResyncSignal'; }
}
class StoppedError extends Error {
  constructor() { super('stopped'); this.name = 'StoppedError'; }
}

/** Capped exponential backoff with jitter: attempt 1 → [initial/2, initial], then doubling to max. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/**
 * Whether `a` is an older version than `b`. resourceVersions are opaque by the API conventions, but
 * every etcd-backed apiserver issues increasing integers; this is only used so that a watch event
 * still in flight cannot roll back a newer write-through (and a write-through cannot roll back a
 * newer watch event). Non-integer versions are never "older": the newest arrival wins.
 */
export function isOlder(a: RawObject, b: RawObject): boolean {
  const x = a.metadata.resourceVersion;
  const y = b.metadata.resourceVersion;
  if (!x || !y || !/^\d+$/.test(x) || !/^\d+$/.test(y)) return false;
  return BigInt(x) < BigInt(y);
}

/** Errors that retrying cannot fix while starting (no rights, no such resource, bad request). */
export function isPermanent(err: unknown): boolean {
  return err instanceof KubeError && [400, 401, 403, 404, 405, 406].includes(err.status);
}

/** Splits a byte stream of newline-delimited JSON into lines (watch frames). */
export class LineSplitter {
  private buffer = '';
  push(chunk: string): string[] {
    this.buffer += chunk;
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  }
}

interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: RawObject & { code?: number; reason?: string; message?: string } }

export class Reflector {
  private items = new Map<string, RawObject>();
  private resourceVersion = '';
  private stopped = false;
  private running: Promise<void> | undefined;
  private inflight: OpenRequest | undefined;
  private phase: 'list' | 'watch' | 'idle' = 'idle';
  /** A watch answered 200 and is streaming (until then the shorter request bound applies). */
  private streaming = false;
  private lastActivity = Date.now();
  private failures = 0;
  private problemState: ReflectorProblem | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private synced = false;
  private readonly firstSync: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void };
  private readonly watchdogMs: number;
  private readonly listTimeoutMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly startTimeoutMs: number;
  private readonly pageSize: number;
  /** Watches and relists done (for logs and tests). */
  readonly stats = { lists: 0, watches: 0, stalls: 0, failures: 0 };

  constructor(private readonly o: ReflectorOptions) {
    this.watchdogMs = o.watchdogMs ?? 5 * 60_000;
    this.listTimeoutMs = o.listTimeoutMs ?? Math.min(this.watchdogMs, 60_000);
    this.backoffInitialMs = o.backoffInitialMs ?? 500;
    this.backoffMaxMs = o.backoffMaxMs ?? 30_000;
    this.startTimeoutMs = o.startTimeoutMs ?? 60_000;
    this.pageSize = o.pageSize ?? 500;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    promise.catch(() => undefined);
    this.firstSync = { promise, resolve, reject };
  }

  /** Begins list+watch; resolves after the first complete list. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.o.kind} informer already started`);
    const tick = Math.max(50, Math.min(5000, Math.floor(Math.min(this.watchdogMs, this.listTimeoutMs) / 4)));
    this.watchdog = setInterval(() => this.checkStall(), tick);
    this.watchdog.unref();
    this.running = this.run();
    const timer = setTimeout(() => {
      this.firstSync.reject(new Error(`${this.o.kind}: no complete list within ${this.startTimeoutMs} ms (${this.problemState?.message ?? 'no answer'})`));
    }, this.startTimeoutMs);
    try {
      await this.firstSync.promise;
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.inflight?.cancel(new StoppedError());
    this.wake?.();
    await this.running;
  }

  get(key: string): RawObject | undefined { return this.items.get(key); }
  problem(): ReflectorProblem | undefined { return this.problemState ? { ...this.problemState } : undefined; }
  get hasSynced(): boolean { return this.synced; }

  /**
   * Write-through: the store hands over the object an API call of its own returned (newer than the
   * cache), so reads right after a write see it; it is reported like a watch update (the store
   * decides whether that is worth an event), and the watch event for the same version that follows
   * changes nothing. Only ever replaces an entry of the same uid: a response must not resurrect an
   * object whose DELETED event already arrived, nor overwrite a re-created one.
   */
  upsert(obj: RawObject): void {
    const key = rawKey(obj);
    const old = this.items.get(key);
    if (!old || old.metadata.uid !== obj.metadata.uid || isOlder(obj, old)) return;
    this.items.set(key, obj);
    this.notify('update', obj, old);
  }

  /** Relist now (periodic safety net): tears down the current watch; no backoff, no problem. */
  resync(): void {
    if (this.phase === 'watch') this.inflight?.cancel(new ResyncSignal());
  }

  // ---------------------------------------------------------------- the loop

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.watch();
      } catch (err) {
        if (this.stopped) break;
        const phase = this.phase === 'list' ? 'list' : 'watch';
        this.inflight = undefined;
        this.phase = 'idle';
        if (err instanceof ResyncSignal) {
          this.o.log.debug({ kind: this.o.kind }, 'periodic resync: relisting');
          this.resourceVersion = '';
          continue;
        }
        if (err instanceof StallError) {
          this.stats.stalls++;
          this.o.log.warn({ kind: this.o.kind }, `${err.message}; relisting`);
          this.setProblem(`${err.message}; relisting`);
          this.resourceVersion = '';
          continue;
        }
        const e = asKubeError(err, `${this.o.kind} ${phase}`);
        if (e.gone) {
          this.o.log.info({ kind: this.o.kind }, `${e.message} (410 Gone); relisting`);
          this.resourceVersion = '';
          continue;
        }
        if (!this.synced && isPermanent(e)) {
          const hint = e.notFound && this.o.notFoundHint ? ` — ${this.o.notFoundHint}` : '';
          this.firstSync.reject(new Error(`cannot list ${this.o.kind} at ${this.o.path}: ${e.message}${hint}`));
          this.stopped = true;
          break;
        }
        this.failures++;
        this.stats.failures++;
        const delay = backoffDelay(this.failures, this.backoffInitialMs, this.backoffMaxMs);
        this.setProblem(`${e.message}; retrying in ${(delay / 1000).toFixed(1)} s${this.synced ? ' (serving the last known state)' : ''}`);
        this.o.log.warn({ kind: this.o.kind, err: e.message, status: e.status, retryInMs: delay, attempt: this.failures }, `${this.o.kind} informer failed; retrying`);
        await this.sleep(delay);
      }
    }
    this.phase = 'idle';
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.wake = undefined; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); this.wake = undefined; resolve(); };
    });
  }

  private touch(): void { this.lastActivity = Date.now(); }

  private checkStall(): void {
    if (!this.inflight || this.stopped) return;
    const limit = this.phase === 'watch' && this.streaming ? this.watchdogMs : this.listTimeoutMs;
    const silent = Date.now() - this.lastActivity;
    if (silent > limit) {
      this.inflight.cancel(new StallError(`${this.o.kind} ${this.phase}: nothing received for ${(silent / 1000).toFixed(1)} s (watchdog ${(limit / 1000).toFixed(1)} s)`));
    }
  }

  private healthy(): void {
    if (this.problemState) this.o.log.info({ kind: this.o.kind, since: this.problemState.since }, `${this.o.kind} informer recovered`);
    this.problemState = undefined;
  }

  private setProblem(message: string): void {
    this.problemState = { message, since: this.problemState?.since ?? new Date().toISOString() };
  }

  private async request(query: Record<string, string | undefined>): Promise<IncomingMessage> {
    if (this.stopped) throw new StoppedError();
    this.streaming = false;
    const open = this.o.http.open(this.o.path, { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector, ...query });
    this.inflight = open;
    this.touch();
    return open.response;
  }

  private async relist(): Promise<void> {
    this.phase = 'list';
    const items: RawObject[] = [];
    let resourceVersion = '';
    let next: string | undefined;
    do {
      const res = await this.request({ limit: String(this.pageSize), continue: next });
      const body = await KubeHttp.readJson(res, `${this.o.kind} list`, () => this.touch()) as { items?: RawObject[]; metadata?: { resourceVersion?: string; continue?: string } };
      items.push(...(body.items ?? []));
      resourceVersion = body.metadata?.resourceVersion ?? resourceVersion;
      next = body.metadata?.continue || undefined;
    } while (next);
    this.inflight = undefined;
    this.stats.lists++;
    this.replace(items, resourceVersion);
    this.failures = 0;
    this.healthy();
    if (!this.synced) {
      this.synced = true;
      this.o.log.debug({ kind: this.o.kind, count: items.length, resourceVersion }, `${this.o.kind} informer synced`);
      this.firstSync.resolve();
    }
  }

  /** A fresh list replaces the cache; what changed in between is reported as changes. */
  private replace(list: RawObject[], resourceVersion: string): void {
    const before = this.items;
    const after = new Map(list.map((o) => [rawKey(o), o] as const));
    this.items = after;
    this.resourceVersion = resourceVersion;
    for (const [key, old] of before) if (!after.has(key)) this.notify('delete', old, old);
    for (const [key, obj] of after) {
      const old = before.get(key);
      if (!old) this.notify('add', obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.notify('update', obj, old);
    }
  }

  private async watch(): Promise<void> {
    this.phase = 'watch';
    const started = Date.now();
    const res = await this.request({
      watch: '1', resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true',
      timeoutSeconds: String(300 + randomInt(300)),
    });
    if (res.statusCode !== 200) {
      await KubeHttp.readJson(res, `${this.o.kind} watch`);   // throws the Status as a KubeError
      throw new KubeError(res.statusCode ?? 0, '', `${this.o.kind} watch: HTTP ${res.statusCode}`);
    }
    this.stats.watches++;
    this.streaming = true;
    this.healthy();   // the apiserver answers again; a quiet watch may not say more for a minute
    this.touch();
    res.setEncoding('utf8');
    const lines = new LineSplitter();
    let count = 0;
    for await (const chunk of res as AsyncIterable<string>) {
      this.touch();
      for (const line of lines.push(chunk)) {
        let event: WatchEvent;
        try { event = JSON.parse(line) as WatchEvent; } catch (err) {
          throw new KubeError(0, 'BadResponse', `${this.o.kind} watch: unparseable frame (${errorMessage(err)})`);
        }
        this.handle(event);
        count++;
        this.failures = 0;
      }
    }
    this.inflight = undefined;
    if (count === 0 && Date.now() - started < 1000) throw new KubeError(0, 'WatchClosed', `${this.o.kind} watch: closed at once by the server`);
  }

  private handle(event: WatchEvent): void {
    const obj = event.object;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const key = rawKey(obj);
        const old = this.items.get(key);
        this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
        // Older than a write-through of ours (same uid): already contained in what we hold.
        if (old && old.metadata.uid === obj.metadata.uid && isOlder(obj, old)) return;
        this.items.set(key, obj);
        this.notify(old ? 'update' : 'add', obj, old);
        return;
      }
      case 'DELETED': {
        const key = rawKey(obj);
        const old = this.items.get(key);
        this.items.delete(key);
        this.resourceVersion = obj.metadata.resourceVersion ?? this.resourceVersion;
        if (old) this.notify('delete', obj, old);
        return;
      }
      case 'BOOKMARK':
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        return;
      case 'ERROR':
        // A Status: 410 Expired/Gone → relist (the loop sees .gone); anything else → retry.
        throw new KubeError(obj.code ?? 0, obj.reason ?? '', `${this.o.kind} watch: ${obj.message ?? 'error event'}`);
      default:
        this.o.log.debug({ kind: this.o.kind, type: (event as { type?: string }).type }, 'ignoring unknown watch event type');
    }
  }

  private notify(type: ChangeType, obj: RawObject, old: RawObject | undefined): void {
    try { this.o.onChange(type, obj, old); } catch (err) {
      this.o.log.error({ kind: this.o.kind, err: errorMessage(err) }, 'informer change handler failed');
    }
  }
}
