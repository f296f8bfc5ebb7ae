// One agent's WebSocket to the hub (`AgentConnection`): a small state machine
//   awaiting-hello → welcoming (welcomeFor runs) → ready → closed
// plus what belongs to one socket: the heartbeat, the hello and token-expiry timers, the dispatches
// waiting for a `result`, the invalid-frame limit and the rate limit. It validates every frame and
// reports what the agent said to its `ConnectionHost` (the hub), which owns the host → connection
// map, the notifications and the metrics. Nothing thrown here escapes a socket handler.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { WebSocket, type RawData } from 'ws';
import type { DecodeResult, FrameDecoder } from '../../protocol/codec.js';
import type { AgentFacts, DockerFacts } from '../../protocol/container.js';
import {
  CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION,
  type AgentFrame, type ControllerFrame, type ErrorFrame, type ExecCreditFrame, type ExecEndFrame, type ExecOutputFrame, type HelloFrame, type LogEndFrame,
  type LogFrame, type ObservedFrame, type StatsFrame, type ResultFrame, type WelcomeFrame,
} from '../../protocol/frames.js';
import { cleanAgentFrame } from './agent-text.js';
import type { Authenticated } from './auth.js';
import { PendingDispatches, type DispatchFrame } from './dispatches.js';
import { TokenBucket, type RateLimit } from './rate-limit.js';
import { closeReason, foreignHelloVersion, rawLength, toBuffer, validCloseCode } from './wire.js';

/** The per-host part of `welcome`; undefined when the host is not (or no longer) declared. */
export type WelcomeInfo = Omit<WelcomeFrame, 'type' | 'protocolVersion'>;

/** A read-only snapshot of a connection. */
export interface ConnectionInfo {
  hostKey: string;
  sessionId: string;
  tokenUid?: string;
  tokenIssuedAt?: string;
  remoteAddress?: string;
  connectedAt: string;
  lastSeenAt: string;
  /** True once hello was accepted and welcome sent. */
  ready: boolean;
  protocolVersion?: number;
  agent?: AgentFacts;
  docker?: DockerFacts;
}

export interface ConnectionLimits {
  pingIntervalMs: number;
  /** Pings left unanswered before the socket is terminated. */
  missedPongLimit: number;
  helloTimeoutMs: number;
  invalidFrameLimit: { count: number; windowMs: number };
  rateLimit: RateLimit;
  /** After we send a close frame, how long the peer has to finish the handshake before we terminate. */
  closeGraceMs: number;
}

/** The frames a ready connection passes on as they are (the hub turns them into notifications). */
export type AgentReport = ObservedFrame | ResultFrame | LogFrame | LogEndFrame | ExecOutputFrame | ExecEndFrame | ExecCreditFrame | StatsFrame | ErrorFrame;

/** What a connection needs from its hub. */
export interface ConnectionHost {
  readonly log: Logger;
  readonly limits: ConnectionLimits;
  readonly decoder: FrameDecoder<AgentFrame>;
  readonly metrics: { received: Counter<'type'>; sent: Counter<'type'>; invalid: Counter<'code'>; throttled: Counter };
  welcomeFor(hostKey: string): WelcomeInfo | undefined | Promise<WelcomeInfo | undefined>;
  /** Hello accepted and welcome sent. */
  ready(c: AgentConnection, hello: HelloFrame): void;
  /** A frame from a ready agent. */
  report(c: AgentConnection, frame: AgentReport): void;
  /** The connection is over (called once, synchronously, when it ends); `wasReady`: it had called `ready`. */
  ended(c: AgentConnection, reason: string, code: number, wasReady: boolean): void;
}

type State = 'awaiting-hello' | 'welcoming' | 'ready' | 'closed';

const MAX_BACKLOG = 256;
const MAX_TIMER_MS = 2 ** 31 - 1;
const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export class AgentConnection {
  readonly id = randomUUID();
  readonly hostKey: string;
  readonly tokenUid: string | undefined;
  readonly tokenIssuedAt: Date | undefined;
  readonly remoteAddress: string | undefined;
  readonly connectedAt = new Date();
  /** Resolves when the socket itself is closed (a superseded connection may still be finishing its close handshake). */
  readonly socketClosed: Promise<void>;
  private lastSeenAt = this.connectedAt;
  private state: State = 'awaiting-hello';
  private hello: HelloFrame | undefined;
  private docker: DockerFacts | undefined;
  private outstandingPings = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private pingTimer: NodeJS.Timeout | undefined;
  private readonly invalidAt: number[] = [];
  private readonly pending: PendingDispatches;
  /** Frames that arrived while welcomeFor was pending; replayed once ready. */
  private backlog: Array<{ data: RawData; isBinary: boolean }> = [];
  private readonly bucket: TokenBucket;
  private lastThrottleLog = 0;
  /** The one timer that resumes reading (re-armed whenever the pause grows). */
  private resumeTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;
  /** An enrolling agent's new credential (auth.ts), sent once in `welcome` and then forgotten. */
  private credential: string | undefined;

  constructor(private readonly ws: WebSocket, auth: Authenticated, remoteAddress: string | undefined, private readonly host: ConnectionHost) {
    this.hostKey = auth.hostKey;
    this.tokenUid = auth.tokenUid;
    this.tokenIssuedAt = auth.issuedAt;
    this.credential = auth.credential;
    this.remoteAddress = remoteAddress;
    this.pending = new PendingDispatches(auth.hostKey);
    this.log = host.log;
    this.bucket = new TokenBucket(host.limits.rateLimit, Date.now());
    this.socketClosed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('error', (err) => this.log.info({ host: this.hostKey, session: this.id, err: err.message }, 'agent socket error'));
    ws.on('close', (code, reason) => this.retire(`connection closed (${code}${reason.length ? `: ${reason.toString('utf8')}` : ''})`, code));
    ws.on('pong', () => { this.outstandingPings = 0; this.lastSeenAt = new Date(); });
    ws.on('message', (data, isBinary) => {
      try { this.charge(data); this.onMessage(data, isBinary); } catch (err) {
        this.log.error({ host: this.hostKey, session: this.id, err }, 'frame handling failed');
      }
    });
  }

  /** Arm the hello timeout, the heartbeat and the token expiry (once the hub has registered this connection). */
  start(expiresAt: Date | undefined): void {
    const limits = this.host.limits;
    this.after(limits.helloTimeoutMs, () => {
      if (this.state === 'awaiting-hello') this.close(CLOSE.protocolError, `no hello within ${seconds(limits.helloTimeoutMs)}`);
    });
    this.pingTimer = setInterval(() => this.heartbeat(), limits.pingIntervalMs);
    this.pingTimer.unref();
    if (expiresAt) this.expireAt(expiresAt.getTime());
  }

  get isReady(): boolean { return this.state === 'ready'; }
  /** When the agent was last heard from (a pong or a frame), in epoch ms. */
  get lastSeenMs(): number { return this.lastSeenAt.getTime(); }

  info(): ConnectionInfo {
    return {
      hostKey: this.hostKey,
      sessionId: this.id,
      ...(this.tokenUid ? { tokenUid: this.tokenUid } : {}),
      ...(this.tokenIssuedAt ? { tokenIssuedAt: this.tokenIssuedAt.toISOString() } : {}),
      ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {}),
      connectedAt: this.connectedAt.toISOString(),
      lastSeenAt: this.lastSeenAt.toISOString(),
      ready: this.state === 'ready',
      ...(this.hello ? { protocolVersion: this.hello.protocolVersion, agent: this.hello.agent } : {}),
      ...(this.docker ? { docker: this.docker } : {}),
    };
  }

  /** Send a frame. False when closed, not open, or the frame is too large. */
  send(frame: ControllerFrame): boolean {
    if (this.state === 'closed' || this.ws.readyState !== WebSocket.OPEN) return false;
    let data: string;
    try { data = JSON.stringify(frame); } catch { return false; }
    if (Buffer.byteLength(data) > MAX_FRAME_BYTES) {
      this.log.error({ host: this.hostKey, type: frame.type, bytes: Buffer.byteLength(data) }, 'frame to agent exceeds the frame limit; not sent');
      return false;
    }
    try {
      this.ws.send(data, (err) => { if (err) this.log.debug({ host: this.hostKey, err: err.message }, 'send to agent failed'); });
    } catch {
      return false;
    }
    this.host.metrics.sent.inc({ type: frame.type });
    return true;
  }

  /** Send an apply/remove with `id` and wait for its result (see AgentHub.dispatch). */
  dispatch(frame: DispatchFrame, id: string, timeoutMs: number): Promise<ResultFrame> {
    return this.pending.start(frame, id, timeoutMs, (f) => this.send(f));
  }

  /** Send a close frame (the connection is over for the hub right away); terminate if the peer stalls. */
  close(code: number, reason: string): void {
    const safeCode = validCloseCode(code) ? code : CLOSE.protocolError;
    const safeReason = closeReason(reason);
    this.log.info({ host: this.hostKey, session: this.id, code: safeCode, reason: safeReason }, 'closing agent session');
    this.retire(safeReason, safeCode);
    const ws = this.ws;
    try { ws.close(safeCode, safeReason); } catch { /* already closing */ }
    const t = setTimeout(() => { if (ws.readyState !== WebSocket.CLOSED) { try { ws.terminate(); } catch { /* gone */ } } }, this.host.limits.closeGraceMs);
    t.unref();
  }

  /** Resolve once the socket is closed, terminating it after `ms` (shutdown). */
  settle(ms: number): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => { try { this.ws.terminate(); } catch { /* already gone */ } resolve(); }, ms);
      t.unref();
      void this.socketClosed.then(() => { clearTimeout(t); resolve(); });
    });
  }

  // ---------------------------------------------------------------- liveness and limits

  /**
   * Charge one frame and its bytes to the bucket; in deficit, pause reading the socket for as long
   * as the refill takes, so TCP backpressure slows the agent.
   */
  private charge(data: RawData): void {
    const now = Date.now();
    const pause = this.bucket.charge(rawLength(data), now);
    if (!pause) return;
    const { framesPerSec, bytesPerSec } = this.host.limits.rateLimit;
    if (pause.newEpisode) this.host.metrics.throttled.inc();
    if (now - this.lastThrottleLog >= 10_000) {
      this.lastThrottleLog = now;
      this.log.warn({ host: this.hostKey, session: this.id, waitMs: pause.waitMs, framesPerSec, bytesPerSec },
        `agent exceeds the rate limit (${framesPerSec} frames/s, ${(bytesPerSec / 1048576).toFixed(0)} MiB/s); reading from it is paused`);
    }
    try { this.ws.pause(); } catch { /* closing */ }
    // One resume timer, replaced when the pause grows. (Not "resume if Date.now() >= until" on
    // several timers: a timer may fire a millisecond early by the wall clock, and then nothing
    // would ever resume the socket.)
    if (this.resumeTimer) { clearTimeout(this.resumeTimer); this.timers.delete(this.resumeTimer); }
    this.resumeTimer = this.after(pause.waitMs, () => { this.resumeTimer = undefined; try { this.ws.resume(); } catch { /* closing */ } });
  }

  private heartbeat(): void {
    if (this.state === 'closed') return;
    if (this.outstandingPings >= this.host.limits.missedPongLimit) {
      this.log.warn({ host: this.hostKey, session: this.id, missed: this.outstandingPings }, 'agent missed pongs; terminating');
      this.retire(`no pong for ${this.outstandingPings} pings`, CLOSE.abnormal);
      try { this.ws.terminate(); } catch { /* gone */ }
      return;
    }
    this.outstandingPings++;
    try { this.ws.ping(); } catch { /* closing; the close handler retires it */ }
  }

  /** Close when the token expires (timers cap at ~24.8 days, so re-arm). */
  private expireAt(atMs: number): void {
    const delay = atMs - Date.now();
    if (delay <= 0) return this.close(CLOSE.revoked, 'token expired');
    this.after(Math.min(delay, MAX_TIMER_MS), () => this.expireAt(atMs));
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      try { fn(); } catch (err) { this.log.error({ err }, 'hub timer failed'); }
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  /** The connection is over: idempotent bookkeeping, pending dispatches rejected, the host told once. */
  private retire(reason: string, code: number): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'closed';
    this.backlog = [];
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.rejectAll(reason);
    this.host.ended(this, reason, code, wasReady);
  }

  // ---------------------------------------------------------------- frames

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    this.lastSeenAt = new Date();
    this.outstandingPings = 0;
    if (this.state === 'welcoming') {
      if (this.backlog.length >= MAX_BACKLOG) return this.close(CLOSE.protocolError, 'too many frames before welcome');
      this.backlog.push({ data, isBinary });
      return;
    }
    if (isBinary) return this.invalid('binary', 'binary frames are not accepted; send JSON text frames');
    const raw = toBuffer(data);
    let decoded: DecodeResult<AgentFrame>;
    try { decoded = this.host.decoder.decode(raw); } catch {
      decoded = { ok: false, code: 'invalid', message: 'a frame must be a JSON object with a "type"' };
    }
    if (!decoded.ok) {
      if (this.state === 'awaiting-hello') {
        const version = foreignHelloVersion(raw);
        if (version !== undefined) return this.refuseVersion(version);
      }
      return this.invalid(decoded.code, decoded.message, decoded.id);
    }
    // Every agent-chosen string is capped and stripped of control characters here, once (agent-text.ts).
    const frame = cleanAgentFrame(decoded.frame);
    this.host.metrics.received.inc({ type: frame.type });

    if (frame.type === 'error') {
      // Never answer an error with an error (no ping-pong between two confused peers).
      this.log.info({ host: this.hostKey, id: frame.id, code: frame.code }, 'agent reported an error');
      if (frame.id) this.pending.refuse(frame.id, frame.code, frame.message);
      if (this.state === 'ready') this.host.report(this, frame);
      return;
    }

    if (this.state === 'awaiting-hello') {
      if (frame.type !== 'hello') return this.invalid('expected_hello', `the first frame must be hello, got ${frame.type}`);
      if (frame.protocolVersion !== PROTOCOL_VERSION) return this.refuseVersion(frame.protocolVersion);
      void this.onHello(frame);
      return;
    }

    switch (frame.type) {
      case 'hello':
        return this.invalid('unexpected_hello', 'hello was already accepted on this connection');
      case 'observed':
        this.docker = frame.docker;
        return this.host.report(this, frame);
      case 'result': {
        // Only results for our own dispatches count (issue 12: forged results grew the inventory).
        const verdict = this.pending.resolve(frame);
        if (!verdict.accepted && verdict.late) {
          this.log.debug({ host: this.hostKey, id: frame.id }, 'result after its dispatch timed out: dropped (the next inventory tells)');
          return;
        }
        if (!verdict.accepted) return this.invalid('unknown_result', `no action with id ${frame.id} is waiting for a result on this connection`, frame.id);
        return this.host.report(this, verdict.frame);
      }
      case 'log':
      case 'logEnd':
      case 'execOutput':
      case 'execEnd':
      case 'execCredit':
      case 'stats':
        return this.host.report(this, frame);
    }
  }

  private async onHello(hello: HelloFrame): Promise<void> {
    this.state = 'welcoming';
    this.hello = hello;
    this.docker = hello.docker;
    let welcome: WelcomeInfo | undefined;
    try {
      welcome = await this.host.welcomeFor(this.hostKey);
    } catch (err) {
      this.log.error({ host: this.hostKey, err: (err as Error)?.message }, 'welcomeFor failed');
      if (this.state === 'welcoming') this.close(CLOSE.internalError, 'controller error; retry later');
      return;
    }
    if (this.state !== 'welcoming') return;
    if (!welcome) return this.close(CLOSE.policyViolation, `host ${this.hostKey} is not declared`);
    const credential = this.credential;
    this.credential = undefined;
    if (!this.send({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, ...welcome, ...(credential ? { credential } : {}) })) {
      return this.close(CLOSE.internalError, 'could not send welcome');
    }
    this.state = 'ready';
    this.log.info({ host: this.hostKey, session: this.id, agent: hello.agent, docker: hello.docker.ok, containers: hello.containers.length }, 'agent connected');
    this.host.ready(this, hello);
    const backlog = this.backlog;
    this.backlog = [];
    for (const m of backlog) {
      if (this.state !== 'ready') break;
      try { this.onMessage(m.data, m.isBinary); } catch (err) { this.log.error({ err }, 'frame handling failed'); }
    }
  }

  private refuseVersion(version: unknown): void {
    this.host.metrics.invalid.inc({ code: 'unsupported_version' });
    this.close(CLOSE.unsupportedVersion, `protocol version ${String(version).slice(0, 16)} not supported; this controller speaks ${PROTOCOL_VERSION}`);
  }

  private invalid(code: string, message: string, id?: string): void {
    this.host.metrics.invalid.inc({ code });
    this.log.info({ host: this.hostKey, session: this.id, code }, 'invalid frame from agent');
    this.send({ type: 'error', ...(id ? { id } : {}), code, message: message.slice(0, 8192) });
    const now = Date.now();
    const limit = this.host.limits.invalidFrameLimit;
    this.invalidAt.push(now);
    while (this.invalidAt.length && this.invalidAt[0]! <= now - limit.windowMs) this.invalidAt.shift();
    if (this.invalidAt.length > limit.count) {
      this.close(CLOSE.protocolError, `too many invalid frames (${this.invalidAt.length} in ${seconds(limit.windowMs)})`);
    }
  }
}
