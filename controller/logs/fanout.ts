// Log fan-out (DESIGN §3 "Logs"): one agent log stream per (host, container) however many people
// watch it. Each stream keeps a ring of its last lines for viewers who join late, survives agent
// disconnects and container restarts (viewers are told they are `waiting`, and the stream is asked
// for again — from the newest line it has — when the agent or the container is back), and is
// cancelled on the agent a grace period after its last viewer left, so a page reload does not
// restart it. A viewer whose socket is backed up has lines dropped (and later gets one `gap` with the
// count): one slow browser never slows the agent or the other viewers.
//
// It knows neither WebSockets nor stores: the hub is reached through `LogHub` (AgentHub fits), a
// viewer through `LogViewerSink`, and "is this container still declared" through a callback.
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ObservedContainer } from '../../protocol/container.js';
import { CLOSE, type ControllerFrame, type LogEntry } from '../../protocol/frames.js';
import type { LogViewerMessage } from '../../protocol/log-viewer.js';
import type { HubNotifications } from '../hub/hub.js';
import { RingBuffer } from './ring.js';
import { advanceCursor, ResumeFilter, type LogCursor } from './resume.js';

/** What the fan-out needs from the agent hub (AgentHub implements it). */
export interface LogHub {
  send(hostKey: string, frame: ControllerFrame): boolean;
  isConnected(hostKey: string): boolean;
  on<K extends keyof HubNotifications>(event: K, listener: (...args: HubNotifications[K]) => void): unknown;
  off<K extends keyof HubNotifications>(event: K, listener: (...args: HubNotifications[K]) => void): unknown;
}

/** One viewer's connection, as the fan-out sees it. */
export interface LogViewerSink {
  /** Send one JSON text message (already encoded; the same buffer goes to every viewer). */
  send(data: Buffer): void;
  /** Bytes queued on the viewer's socket and not yet written out. */
  bufferedAmount(): number;
  /** Close the connection (after an `error` message). */
  close(code: number, reason: string): void;
}

export interface LogTarget { namespace: string; host: string; container: string }

export interface LogFanoutOptions {
  hub: LogHub;
  registry?: Registry;
  logger?: Logger;
  /** Lines kept per stream for late viewers (default 1000; also the largest `tail`). */
  ringSize?: number;
  /** How long an agent stream stays open after its last viewer left (default 10 s). */
  graceMs?: number;
  /** A viewer whose socket holds more than this gets lines dropped (default 1 MiB). */
  viewerMaxBufferedBytes?: number;
  /** How often a viewer with dropped lines is checked for having drained (default 100 ms). */
  gapCheckMs?: number;
  /** Entries per `lines` message of a replay (default 500). */
  replayChunk?: number;
  /** Re-request backoff after an agent stream ended while viewers wait (default 1 s doubling to 30 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** False when the container left the spec or the host is gone: its viewers get `error` and are closed. */
  isDeclared?: (target: LogTarget) => boolean;
}

export interface LogSubscription { close(): void }

interface Viewer { sink: LogViewerSink; dropped: number; gapTimer?: NodeJS.Timeout }

interface Stream {
  key: string;
  hostKey: string;
  target: LogTarget;
  ring: RingBuffer<LogEntry>;
  viewers: Set<Viewer>;
  /** Id of the agent stream open now. */
  agentId?: string;
  /** Why lines are not flowing (sent to viewers as `waiting`); undefined while streaming. */
  waiting?: string;
  cursor?: LogCursor;
  resume?: ResumeFilter;
  /** The tail to ask for when nothing was received yet (the first viewer's). */
  tail: number;
  graceTimer?: NodeJS.Timeout;
  retryTimer?: NodeJS.Timeout;
  retryMs: number;
}

const encode = (m: LogViewerMessage): Buffer => Buffer.from(JSON.stringify(m));

export class LogFanout {
  private readonly hub: LogHub;
  private readonly log: Logger;
  private readonly ringSize: number;
  private readonly graceMs: number;
  private readonly maxBuffered: number;
  private readonly gapCheckMs: number;
  private readonly replayChunk: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly isDeclared: (t: LogTarget) => boolean;
  private readonly streams = new Map<string, Stream>();
  private readonly byAgentId = new Map<string, Stream>();
  /** Last known state of each host's containers (from hello/observed), to re-request when one runs again. */
  private readonly observed = new Map<string, Map<string, { state: string; id: string }>>();
  /** Agent stream ids we cancelled or never knew, already answered with logsCancel (bounded). */
  private readonly strays = new Set<string>();
  private viewerCount = 0;
  private closed = false;

  private readonly mAgentStreams: Gauge;
  private readonly mOpened: Counter;
  private readonly mViewers: Gauge;
  private readonly mDropped: Counter;
  private readonly mLines: Counter;

  private readonly listeners: { [K in keyof HubNotifications]?: (...args: HubNotifications[K]) => void } = {
    connected: (hostKey, hello) => this.onConnected(hostKey, hello.containers, true),
    observed: (hostKey, frame) => { if (frame.docker.ok) this.onConnected(hostKey, frame.containers, false); },
    disconnected: (hostKey) => this.onDisconnected(hostKey),
    log: (hostKey, frame) => this.onLog(hostKey, frame.stream, frame.entries),
    logEnd: (hostKey, frame) => this.onEnd(hostKey, frame.stream, frame.reason ?? 'the log stream ended'),
    agentError: (hostKey, frame) => { if (frame.id) this.onEnd(hostKey, frame.id, `the agent refused the log stream: ${frame.message}`); },
  };

  constructor(opts: LogFanoutOptions) {
    this.hub = opts.hub;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'log-fanout' });
    this.ringSize = opts.ringSize ?? 1000;
    this.graceMs = opts.graceMs ?? 10_000;
    this.maxBuffered = opts.viewerMaxBufferedBytes ?? 1024 * 1024;
    this.gapCheckMs = opts.gapCheckMs ?? 100;
    this.replayChunk = opts.replayChunk ?? 500;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.isDeclared = opts.isDeclared ?? (() => true);
    const registers = [opts.registry ?? new Registry()];
    this.mAgentStreams = new Gauge({ name: 'berth_log_agent_streams', help: 'Agent log streams open now (one per host/container, however many viewers).', registers });
    this.mOpened = new Counter({ name: 'berth_log_agent_streams_opened_total', help: 'Log streams requested from agents (including re-requests after a reconnect).', registers });
    this.mViewers = new Gauge({ name: 'berth_log_viewers', help: 'Log viewers (browser sockets) connected now.', registers });
    this.mDropped = new Counter({ name: 'berth_log_lines_dropped_total', help: 'Log lines dropped for viewers too slow to take them.', registers });
    this.mLines = new Counter({ name: 'berth_log_lines_received_total', help: 'Log lines received from agents.', registers });
    for (const [event, fn] of Object.entries(this.listeners)) this.hub.on(event as keyof HubNotifications, fn as never);
  }

  /** Agent streams open now / streams known (open, waiting or in grace) / viewers. */
  stats(): { agentStreams: number; streams: number; viewers: number } {
    return { agentStreams: this.byAgentId.size, streams: this.streams.size, viewers: this.viewerCount };
  }

  /**
   * Add a viewer: it gets `ready`, up to TAIL lines of the ring, `waiting` if the stream is not
   * flowing, then live lines. The first viewer of a container opens the agent stream.
   */
  subscribe(target: LogTarget, tail: number, sink: LogViewerSink): LogSubscription {
    if (this.closed) {
      sink.send(encode({ type: 'error', code: 'ShuttingDown', message: 'the controller is shutting down' }));
      sink.close(CLOSE.shuttingDown, 'controller shutting down');
      return { close: () => undefined };
    }
    const hostKey = `${target.namespace}/${target.host}`;
    const key = `${hostKey}/${target.container}`;
    let s = this.streams.get(key);
    const fresh = !s;
    if (!s) {
      s = { key, hostKey, target: { namespace: target.namespace, host: target.host, container: target.container }, ring: new RingBuffer(this.ringSize), viewers: new Set(), tail, retryMs: this.retryMinMs };
      this.streams.set(key, s);
    }
    const stream = s;
    clearTimeout(stream.graceTimer);
    stream.graceTimer = undefined;
    const viewer: Viewer = { sink, dropped: 0 };
    stream.viewers.add(viewer);
    this.viewerCount++;
    this.mViewers.set(this.viewerCount);

    const replay = stream.ring.last(Math.min(tail, this.ringSize));
    sink.send(encode({ type: 'ready', ...stream.target, replayed: replay.length }));
    for (let i = 0; i < replay.length; i += this.replayChunk) sink.send(encode({ type: 'lines', entries: replay.slice(i, i + this.replayChunk) }));
    if (fresh) this.request(stream);
    else if (stream.waiting !== undefined) sink.send(encode({ type: 'waiting', reason: stream.waiting }));

    let done = false;
    return { close: () => { if (!done) { done = true; this.unsubscribe(stream, viewer); } } };
  }

  /**
   * A host's declaration changed: streams of containers no longer declared end for their viewers
   * (`error`, close 1008) even while the agent still sends lines (e.g. removalPolicy Orphan).
   */
  recheck(hostKey: string): void {
    for (const s of [...this.streams.values()]) {
      if (s.hostKey === hostKey && !this.isDeclared(s.target)) this.fail(s, `container ${s.target.container} is no longer declared on host ${s.hostKey}`);
    }
  }

  /** Cancel every agent stream and close every viewer (1001). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [event, fn] of Object.entries(this.listeners)) this.hub.off(event as keyof HubNotifications, fn as never);
    for (const s of [...this.streams.values()]) {
      for (const v of [...s.viewers]) {
        clearInterval(v.gapTimer);
        try { v.sink.close(CLOSE.shuttingDown, 'controller shutting down'); } catch { /* gone */ }
      }
      s.viewers.clear();
      this.drop(s);
    }
    this.viewerCount = 0;
    this.mViewers.set(0);
  }

  // ---------------------------------------------------------------- viewers

  private unsubscribe(s: Stream, v: Viewer): void {
    if (!s.viewers.delete(v)) return;
    clearInterval(v.gapTimer);
    this.viewerCount--;
    this.mViewers.set(this.viewerCount);
    if (s.viewers.size > 0 || this.streams.get(s.key) !== s) return;
    // Last viewer gone: keep the stream (and its ring) a little, for a reload or a second tab.
    s.graceTimer = setTimeout(() => {
      if (s.viewers.size === 0) {
        this.log.debug({ stream: s.key }, 'no viewers left after the grace period; cancelling the agent stream');
        this.drop(s);
      }
    }, this.graceMs);
    s.graceTimer.unref();
  }

  private broadcast(s: Stream, m: LogViewerMessage): void {
    const data = encode(m);
    for (const v of s.viewers) { try { v.sink.send(data); } catch { /* the socket's close handler unsubscribes */ } }
  }

  private deliver(s: Stream, entries: LogEntry[]): void {
    const data = encode({ type: 'lines', entries });
    for (const v of s.viewers) {
      try {
        if (v.sink.bufferedAmount() > this.maxBuffered) { this.dropFor(v, entries.length); continue; }
        if (v.dropped > 0) this.sendGap(v);
        v.sink.send(data);
      } catch { /* closing; unsubscribed by its close handler */ }
    }
  }

  /** V is backed up: count the lines it misses and watch for it to drain, then tell it how many. */
  private dropFor(v: Viewer, n: number): void {
    v.dropped += n;
    this.mDropped.inc(n);
    if (v.gapTimer) return;
    v.gapTimer = setInterval(() => {
      try {
        if (v.sink.bufferedAmount() <= this.maxBuffered) this.sendGap(v);
      } catch { clearInterval(v.gapTimer); v.gapTimer = undefined; }
    }, this.gapCheckMs);
    v.gapTimer.unref();
  }

  private sendGap(v: Viewer): void {
    clearInterval(v.gapTimer);
    v.gapTimer = undefined;
    if (v.dropped === 0) return;
    const dropped = v.dropped;
    v.dropped = 0;
    v.sink.send(encode({ type: 'gap', dropped }));
  }

  private setWaiting(s: Stream, reason: string): void {
    if (s.waiting === reason) return;
    s.waiting = reason;
    this.broadcast(s, { type: 'waiting', reason });
  }

  // ---------------------------------------------------------------- agent streams

  /** Ask the agent for the stream: from the newest line we have, or the first viewer's tail. */
  private request(s: Stream): void {
    clearTimeout(s.retryTimer);
    s.retryTimer = undefined;
    if (s.agentId || this.closed) return;
    if (!this.isDeclared(s.target)) return this.fail(s, `container ${s.target.container} is no longer declared on host ${s.hostKey}`);
    if (!this.hub.isConnected(s.hostKey)) return this.setWaiting(s, `the agent of host ${s.hostKey} is not connected`);
    const id = randomUUID();
    const frame: ControllerFrame = s.cursor
      ? { type: 'logs', stream: id, name: s.target.container, follow: true, tail: this.ringSize, since: s.cursor.t }
      : { type: 'logs', stream: id, name: s.target.container, follow: true, tail: Math.min(s.tail, this.ringSize) };
    if (!this.hub.send(s.hostKey, frame)) return this.setWaiting(s, `the agent of host ${s.hostKey} is not connected`);
    s.agentId = id;
    s.resume = s.cursor ? new ResumeFilter(s.cursor) : undefined;
    this.byAgentId.set(id, s);
    this.mOpened.inc();
    this.mAgentStreams.set(this.byAgentId.size);
    this.log.debug({ stream: s.key, id, since: s.cursor?.t }, 'agent log stream requested');
  }

  /** The agent stream is over (cancelled, ended, or its connection gone). */
  private detach(s: Stream): void {
    if (!s.agentId) return;
    this.byAgentId.delete(s.agentId);
    s.agentId = undefined;
    s.resume = undefined;
    this.mAgentStreams.set(this.byAgentId.size);
  }

  /** Forget the stream: cancel it on the agent, drop its ring. */
  private drop(s: Stream): void {
    clearTimeout(s.graceTimer);
    clearTimeout(s.retryTimer);
    if (s.agentId) {
      this.remember(s.agentId);
      this.hub.send(s.hostKey, { type: 'logsCancel', stream: s.agentId });
      this.detach(s);
    }
    if (this.streams.get(s.key) === s) this.streams.delete(s.key);
  }

  /** The stream can never resume: tell its viewers and close them (1008: a policy/state reason). */
  private fail(s: Stream, message: string): void {
    this.broadcast(s, { type: 'error', code: 'NotFound', message });
    for (const v of [...s.viewers]) { try { v.sink.close(CLOSE.policyViolation, 'log stream ended'); } catch { /* gone */ } }
    this.drop(s);
  }

  private onLog(hostKey: string, id: string, entries: LogEntry[]): void {
    const s = this.byAgentId.get(id);
    if (!s || s.hostKey !== hostKey) {
      // Not (or no longer) ours — e.g. frames in flight when we cancelled. Cancel once more, once.
      if (!this.strays.has(id)) { this.remember(id); this.hub.send(hostKey, { type: 'logsCancel', stream: id }); }
      return;
    }
    this.mLines.inc(entries.length);
    const fresh = s.resume ? s.resume.filter(entries) : entries;
    if (s.waiting !== undefined) s.waiting = undefined;
    s.retryMs = this.retryMinMs;
    if (fresh.length === 0) return;
    s.cursor = advanceCursor(s.cursor, fresh);
    s.ring.pushAll(fresh);
    this.deliver(s, fresh);
  }

  private onEnd(hostKey: string, id: string, reason: string): void {
    const s = this.byAgentId.get(id);
    if (!s || s.hostKey !== hostKey) return;
    this.detach(s);
    if (s.viewers.size === 0) { this.drop(s); return; }   // in its grace period: nobody to wait for
    if (!this.isDeclared(s.target)) return this.fail(s, `container ${s.target.container} is no longer declared on host ${s.hostKey}`);
    this.setWaiting(s, reason);
    this.scheduleRetry(s);
  }

  /** Ask again later (a container that runs again is also noticed at once through `observed`). */
  private scheduleRetry(s: Stream): void {
    if (s.retryTimer) return;
    const delay = s.retryMs;
    s.retryMs = Math.min(s.retryMs * 2, this.retryMaxMs);
    s.retryTimer = setTimeout(() => { s.retryTimer = undefined; if (s.viewers.size > 0) this.request(s); }, delay);
    s.retryTimer.unref();
  }

  private onConnected(hostKey: string, containers: ObservedContainer[], reconnect: boolean): void {
    const before = this.observed.get(hostKey);
    const now = new Map(containers.map((c) => [c.name, { state: c.state, id: c.containerID }]));
    this.observed.set(hostKey, now);
    for (const s of this.streams.values()) {
      if (s.hostKey !== hostKey || s.agentId || s.viewers.size === 0) continue;
      const was = before?.get(s.target.container);
      const is = now.get(s.target.container);
      // After a reconnect every waiting stream is asked for at once; otherwise only when its
      // container (re)started — the retry timer covers the rest.
      if (reconnect || (is?.state === 'running' && (was?.state !== 'running' || was.id !== is.id))) this.request(s);
    }
  }

  private onDisconnected(hostKey: string): void {
    this.observed.delete(hostKey);
    for (const s of [...this.streams.values()]) {
      if (s.hostKey !== hostKey) continue;
      this.detach(s);
      clearTimeout(s.retryTimer);
      s.retryTimer = undefined;
      if (s.viewers.size === 0) { this.drop(s); continue; }
      this.setWaiting(s, `the agent of host ${hostKey} disconnected`);
    }
  }

  private remember(id: string): void {
    this.strays.add(id);
    if (this.strays.size > 1000) this.strays.delete(this.strays.values().next().value!);
  }
}
