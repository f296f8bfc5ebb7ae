// GET /api/v1/events: the page feed, the status page's live view of the cluster (server-sent
// events; the payloads are PageFeedEvents in protocol/api-views.ts). One subscription to the store's
// change feed fans out to every connected page:
//   event: snapshot  {user, hosts, tokens | null, tokensMessage?, problems}   first, and again whenever
//                    what the viewer may see changed (RBAC granted or revoked)
//   event: changes   {hosts?, deletedHosts?, tokens?, deletedTokens?, problems?}   coalesced (25 ms)
//   event: heartbeat {time}   every 15 s; access is re-checked then, so a revoked viewer is cut off
//   event: denied    {status, message}   the viewer lost access; the stream ends
//   event: stats     {host, t, intervalSeconds, containers}   a host's newest resource samples, as they
//                    arrive — only to viewers that ask with ?stats=1 (the page does; a fleet-wide feed
//                    costs every other client ~100 bytes per container and interval)
// The page never polls: it keeps the snapshot and applies changes. A refused request is a plain
// 401/403 JSON answer (EventSource cannot read it; the page asks GET /api/v1/session why).
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { PageChanges, PageFeedEvents } from '../../protocol/api-views.js';
import type { PageStats } from '../../protocol/stats.js';
import type { ResourceKey } from '../api/types.js';
import type { Store, StoreChange } from '../store/store.js';
import type { AccessControl } from './access.js';
import { sseEvent, sseRetry } from './sse.js';
import { hostView, setView, tokenView, type LastSeen } from './views.js';
import { Visibility } from './visibility.js';

export interface PageFeedOptions {
  store: Store;
  /** Every change, including the controller's own status writes (Store.watchAll). */
  watch: (listener: (event: StoreChange) => void) => () => void;
  access: AccessControl;
  /** Connected agents' lastSeenAt from memory (views.ts; absent: status as stored). */
  lastSeen?: LastSeen;
  heartbeatMs?: number;
  /** Source problems have no change event in the Store interface: they are sampled (in memory) this often. */
  problemsSampleMs?: number;
  /** A viewer that lets this much pile up unread is disconnected (its EventSource reconnects and resyncs). */
  maxBufferedBytes?: number;
  logger?: Logger;
}

const namespaceOf = (key: ResourceKey) => key.slice(0, key.indexOf('/'));

class Viewer {
  readonly hosts: Visibility;
  readonly tokens: Visibility;
  readonly sets: Visibility;
  pendingHosts = new Set<ResourceKey>();
  pendingTokens = new Set<ResourceKey>();
  pendingSets = new Set<ResourceKey>();
  pendingProblems = false;
  /** The namespaces last shown ('all' or a sorted list), to notice RBAC changes. */
  shownHosts = '';
  shownTokens = '';
  private chain: Promise<void> = Promise.resolve();
  closed = false;
  readonly wantsStats: boolean;

  constructor(readonly req: Request, readonly res: Response, access: AccessControl) {
    this.wantsStats = req.query.stats === '1';
    this.hosts = new Visibility(access, req, 'containerhosts');
    this.tokens = new Visibility(access, req, 'agenttokens');
    this.sets = new Visibility(access, req, 'containersets');
  }

  /** Run async work for this viewer strictly in order (events must not overtake each other). */
  serial(work: () => Promise<void>): void {
    this.chain = this.chain.then(() => (this.closed ? undefined : work())).catch(() => { this.end(); });
  }

  send<E extends keyof PageFeedEvents>(event: E, data: PageFeedEvents[E], maxBuffered: number): void {
    if (this.closed) return;
    this.res.write(sseEvent(event, data));
    if (this.res.writableLength > maxBuffered) this.end();
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
  }
}

export class PageFeed {
  private readonly viewers = new Set<Viewer>();
  private unwatch: (() => void) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sampleTimer: NodeJS.Timeout | undefined;
  private lastProblems = '';
  private readonly heartbeatMs: number;
  private readonly maxBuffered: number;

  constructor(private readonly opts: PageFeedOptions) {
    this.heartbeatMs = opts.heartbeatMs ?? 15_000;
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  }

  get viewerCount(): number { return this.viewers.size; }

  /** The express handler for GET /api/v1/events. */
  readonly handle = async (req: Request, res: Response): Promise<void> => {
    const viewer = new Viewer(req, res, this.opts.access);
    const hosts = await viewer.hosts.filter(this.opts.store.hosts().map((h) => h.metadata.namespace));
    if (!hosts.ok) { res.status(hosts.refusal.status).json({ error: hosts.refusal.status === 401 ? 'Unauthorized' : 'Forbidden', message: hosts.refusal.message }); return; }
    if (req.socket.destroyed) return;
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // Reverse proxies (nginx) must not buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') { res.end(); return; }
    res.flushHeaders();
    req.socket.setNoDelay(true);
    res.write(sseRetry(2000));
    this.viewers.add(viewer);
    this.ensureRunning();
    const gone = () => { viewer.closed = true; this.viewers.delete(viewer); if (this.viewers.size === 0) this.idle(); };
    res.on('close', gone);
    viewer.serial(() => this.sendSnapshot(viewer));
  };

  /** A host's newest samples, to the viewers that asked for them and may see the host. */
  publishStats(sample: PageStats): void {
    const ns = namespaceOf(sample.host);
    for (const v of this.viewers) {
      if (v.wantsStats) v.serial(async () => { if (await v.hosts.canSee(ns)) v.send('stats', sample, this.maxBuffered); });
    }
  }

  /** End every stream and stop watching (controller shutdown). */
  close(): void {
    for (const v of [...this.viewers]) v.end();
    this.viewers.clear();
    this.idle();
  }

  private ensureRunning(): void {
    if (this.unwatch) return;
    this.unwatch = this.opts.watch((e) => this.onChange(e));
    this.lastProblems = JSON.stringify(this.opts.store.problems());
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatMs);
    this.sampleTimer = setInterval(() => this.sampleProblems(), this.opts.problemsSampleMs ?? 1000);
    this.heartbeatTimer.unref();
    this.sampleTimer.unref();
  }

  private idle(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sampleTimer);
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private onChange(e: StoreChange): void {
    // Secrets and ConfigMaps are never shown; a host they change reports its own status.
    if (e.kind === 'Secret' || e.kind === 'ConfigMap') return;
    for (const v of this.viewers) (e.kind === 'ContainerHost' ? v.pendingHosts : e.kind === 'ContainerSet' ? v.pendingSets : v.pendingTokens).add(e.key);
    this.scheduleFlush();
  }

  private sampleProblems(): void {
    const now = JSON.stringify(this.opts.store.problems());
    if (now === this.lastProblems) return;
    this.lastProblems = now;
    for (const v of this.viewers) v.pendingProblems = true;
    this.scheduleFlush();
  }

  /** Coalesce bursts (a reconcile writes status right after the change that caused it). */
  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      for (const v of this.viewers) v.serial(() => this.flush(v));
    }, 25);
  }

  private async flush(v: Viewer): Promise<void> {
    const store = this.opts.store;
    const hostKeys = [...v.pendingHosts];
    const tokenKeys = [...v.pendingTokens];
    const setKeys = [...v.pendingSets];
    const problems = v.pendingProblems;
    v.pendingHosts.clear();
    v.pendingTokens.clear();
    v.pendingSets.clear();
    v.pendingProblems = false;
    const out: PageChanges = {};
    for (const key of hostKeys) {
      if (!(await v.hosts.canSee(namespaceOf(key)))) continue;
      const h = store.host(key);
      if (h) (out.hosts ??= []).push(hostView(h, this.opts.lastSeen));
      else (out.deletedHosts ??= []).push(key);
    }
    for (const key of tokenKeys) {
      if (!(await v.tokens.canSee(namespaceOf(key)))) continue;
      const t = store.token(key);
      if (t) (out.tokens ??= []).push(tokenView(t));
      else (out.deletedTokens ??= []).push(key);
    }
    for (const key of setKeys) {
      if (!(await v.sets.canSee(namespaceOf(key)))) continue;
      const s = store.set(key);
      if (s) (out.sets ??= []).push(setView(s));
      else (out.deletedSets ??= []).push(key);
    }
    if (problems) out.problems = store.problems();
    if (Object.keys(out).length) v.send('changes', out, this.maxBuffered);
  }

  private async sendSnapshot(v: Viewer): Promise<void> {
    const store = this.opts.store;
    const hosts = await v.hosts.filter(store.hosts().map((h) => h.metadata.namespace));
    if (!hosts.ok) { v.send('denied', { status: hosts.refusal.status, message: hosts.refusal.message }, this.maxBuffered); v.end(); return; }
    const tokens = await v.tokens.filter(store.tokens().map((t) => t.metadata.namespace));
    const sets = await v.sets.filter(store.sets().map((s) => s.metadata.namespace));
    const visible = (scope: Set<string> | 'all', ns: string) => scope === 'all' || scope.has(ns);
    const user = await v.hosts.overall();
    v.shownHosts = hosts.namespaces === 'all' ? 'all' : [...hosts.namespaces].sort().join(',');
    v.shownTokens = !tokens.ok ? '' : tokens.namespaces === 'all' ? 'all' : [...tokens.namespaces].sort().join(',');
    // Pending changes are included in the snapshot.
    v.pendingHosts.clear();
    v.pendingTokens.clear();
    v.pendingSets.clear();
    v.pendingProblems = false;
    v.send('snapshot', {
      user: user.allowed ? user.user : undefined,
      hosts: store.hosts().filter((h) => visible(hosts.namespaces, h.metadata.namespace)).map((h) => hostView(h, this.opts.lastSeen)),
      tokens: tokens.ok ? store.tokens().filter((t) => visible(tokens.namespaces, t.metadata.namespace)).map(tokenView) : null,
      ...(tokens.ok ? {} : { tokensMessage: tokens.refusal.message }),
      ...(sets.ok ? { sets: store.sets().filter((s) => visible(sets.namespaces, s.metadata.namespace)).map(setView) } : {}),
      problems: store.problems(),
    }, this.maxBuffered);
  }

  private heartbeat(): void {
    const store = this.opts.store;
    for (const v of this.viewers) {
      v.serial(async () => {
        v.hosts.refresh();
        v.tokens.refresh();
        v.sets.refresh();
        const hosts = await v.hosts.filter(store.hosts().map((h) => h.metadata.namespace));
        if (!hosts.ok) { v.send('denied', { status: hosts.refusal.status, message: hosts.refusal.message }, this.maxBuffered); v.end(); return; }
        const tokens = await v.tokens.filter(store.tokens().map((t) => t.metadata.namespace));
        const shownHosts = hosts.namespaces === 'all' ? 'all' : [...hosts.namespaces].sort().join(',');
        const shownTokens = !tokens.ok ? '' : tokens.namespaces === 'all' ? 'all' : [...tokens.namespaces].sort().join(',');
        if (shownHosts !== v.shownHosts || shownTokens !== v.shownTokens) { await this.sendSnapshot(v); return; }
        v.send('heartbeat', { time: new Date().toISOString() }, this.maxBuffered);
      });
    }
  }
}
