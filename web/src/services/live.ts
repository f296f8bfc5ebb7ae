// The page feed: GET /api/v1/events through EventSource (pushed by the controller; the page
// never polls). EventSource cannot see why a stream was refused, so on any failure this asks
// /api/v1/session: signed out → the sign-in form; not allowed → say so; otherwise reconnect with
// full-jitter backoff. A heartbeat arrives every 15 s; silence for 45 s counts as a dead stream.
import type { BrowserSessionView, PageChanges, PageSnapshot } from '../../../protocol/api-views.js';
import type { PageStats } from '../../../protocol/stats.js';
import { pageBackoff } from '../lib/reconnect.js';
import { whoAmI } from './session.js';

export type FeedState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; inMs: number; why: string }
  | { kind: 'signed-out'; message: string }
  | { kind: 'forbidden'; message: string; user?: string };

export interface FeedHandlers {
  snapshot(s: PageSnapshot): void;
  changes(c: PageChanges): void;
  state(s: FeedState): void;
  session?(info: BrowserSessionView): void;
  /** Resource samples as they arrive (the stream asks for them with ?stats=1). */
  stats?(s: PageStats): void;
}

const WATCHDOG_MS = 45_000;

export class LiveFeed {
  private es: EventSource | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff = pageBackoff();
  private stopped = true;

  constructor(private readonly on: FeedHandlers) {}

  start(): void {
    this.stopped = false;
    this.backoff.reset();
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.closeSource();
    clearTimeout(this.retryTimer);
  }

  private closeSource(): void {
    clearTimeout(this.watchdog);
    this.es?.close();
    this.es = undefined;
  }

  private alive(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => { void this.failed('no heartbeat from the controller'); }, WATCHDOG_MS);
  }

  private open(): void {
    if (this.stopped) return;
    this.closeSource();
    this.on.state({ kind: 'connecting' });
    const es = new EventSource('/api/v1/events?stats=1');
    this.es = es;
    const parse = <T>(e: Event): T | undefined => {
      try { return JSON.parse((e as MessageEvent<string>).data) as T; } catch { return undefined; }
    };
    es.addEventListener('snapshot', (e) => {
      const s = parse<PageSnapshot>(e);
      if (!s) return;
      this.backoff.connected();
      this.alive();
      this.on.snapshot(s);
      this.on.state({ kind: 'live' });
    });
    es.addEventListener('changes', (e) => { const c = parse<PageChanges>(e); this.alive(); if (c) this.on.changes(c); });
    es.addEventListener('heartbeat', () => { this.alive(); });
    es.addEventListener('stats', (e) => { const s = parse<PageStats>(e); if (s) this.on.stats?.(s); });
    es.addEventListener('denied', () => { void this.failed('access changed'); });
    es.addEventListener('error', () => { void this.failed('the event stream dropped'); });
  }

  /** Find out why the stream is gone and either explain it or come back after a backoff. */
  private async failed(why: string): Promise<void> {
    if (this.stopped || !this.es) return;
    this.closeSource();
    this.backoff.disconnected();
    const who = await whoAmI();
    if (this.stopped) return;
    if (who.kind === 'signed-out') { this.on.state({ kind: 'signed-out', message: who.message }); return; }
    if (who.kind === 'ok') {
      this.on.session?.(who.info);
      const hosts = who.info.can?.hosts;
      if (hosts && !hosts.allowed) {
        this.on.state({ kind: 'forbidden', message: hosts.message ?? 'you may not view container hosts', ...(who.info.user ? { user: who.info.user } : {}) });
        return;
      }
    }
    const inMs = this.backoff.next();
    this.on.state({ kind: 'reconnecting', inMs, why: who.kind === 'unreachable' ? who.message : why });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), inMs);
  }
}
