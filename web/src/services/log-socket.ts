// One log tail's WebSocket (/api/v1/logs/ws, LOGS-WEB-CONTRACT). Reconnects with full-jitter backoff
// while the reason is transient; a refused upgrade is explained by asking /api/v1/logs/check (a
// browser WebSocket never sees the HTTP status), and a refusal (401/403/404/400) stops retrying.
import { CLOSE } from '../../../protocol/frames.js';
import { LOGS_WS_PATH, type LogViewerMessage } from '../../../protocol/log-viewer.js';
import { parseLogFrame } from '../lib/log-frames.js';
import { pageBackoff } from '../lib/reconnect.js';

export type SocketState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'waiting'; reason: string }
  | { kind: 'reconnecting'; inMs: number; why: string }
  | { kind: 'refused'; status: number; message: string }
  | { kind: 'stopped' };

export interface LogTarget { namespace: string; host: string; container: string; tail: number }

export interface SocketHandlers {
  frame(f: Exclude<LogViewerMessage, { type: 'ready' }> | { type: 'ready'; replayed: number }): void;
  state(s: SocketState): void;
  /** Called before each reconnect, so the view can skip replayed lines. */
  reconnecting?(): void;
}

export function socketUrl(t: LogTarget, loc: { protocol: string; host: string } = location): string {
  const q = new URLSearchParams({ namespace: t.namespace, host: t.host, container: t.container, tail: String(t.tail) });
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${LOGS_WS_PATH}?${q.toString()}`;
}

export class LogSocket {
  private ws: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff = pageBackoff();
  private stopped = true;
  private opens = 0;

  constructor(private readonly target: LogTarget, private readonly on: SocketHandlers) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(CLOSE.normal, 'viewer left');
    this.on.state({ kind: 'stopped' });
  }

  private open(): void {
    if (this.stopped) return;
    if (this.opens++ > 0) this.on.reconnecting?.();
    this.on.state({ kind: 'connecting' });
    const ws = new WebSocket(socketUrl(this.target));
    this.ws = ws;
    let opened = false;
    ws.addEventListener('open', () => { opened = true; this.backoff.connected(); });
    ws.addEventListener('message', (e: MessageEvent) => {
      if (typeof e.data !== 'string') return;
      const f = parseLogFrame(e.data);
      if (f.type === 'invalid') { this.on.frame({ type: 'error', code: 'InvalidFrame', message: f.message }); return; }
      if (f.type === 'ready') { this.on.state({ kind: 'live' }); this.on.frame({ type: 'ready', replayed: f.replayed }); return; }
      if (f.type === 'waiting') this.on.state({ kind: 'waiting', reason: f.reason });
      else if (f.type === 'lines') this.on.state({ kind: 'live' });
      this.on.frame(f);
    });
    ws.addEventListener('close', (e: CloseEvent) => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = undefined;
      this.backoff.disconnected();
      void this.closed(opened, e.code, e.reason);
    });
  }

  private async closed(opened: boolean, code: number, reason: string): Promise<void> {
    // Refused before the upgrade, or closed for policy: ask why, and stop if it is a refusal.
    if (!opened || code === CLOSE.policyViolation) {
      const q = new URLSearchParams({ namespace: this.target.namespace, host: this.target.host, container: this.target.container });
      try {
        const res = await fetch(`/api/v1/logs/check?${q.toString()}`, { credentials: 'same-origin', cache: 'no-store' });
        if (res.status >= 400 && res.status < 500) {
          const body = await res.json().catch(() => ({})) as { message?: string };
          if (!this.stopped) this.on.state({ kind: 'refused', status: res.status, message: body.message ?? `HTTP ${res.status}` });
          return;
        }
      } catch { /* unreachable: retry below */ }
    }
    if (this.stopped) return;
    const inMs = this.backoff.next();
    this.on.state({ kind: 'reconnecting', inMs, why: reason || (opened ? 'the log stream closed' : 'cannot connect') });
    this.timer = setTimeout(() => this.open(), inMs);
  }
}
