// The agent hub (DESIGN §3 Connect, §4): terminates agent WebSockets on the controller's HTTP
// server, authenticates them BEFORE the upgrade, keeps one session per host, validates every frame,
// and turns agent traffic into typed events for the controller. It knows nothing of stores or
// Kubernetes: authentication and the welcome contents are injected functions.
//
// Invariants:
//  - Nothing thrown by a socket, a frame or a listener escapes a handler (a bad agent never crashes
//    the controller); listener exceptions are logged and swallowed.
//  - Tokens never appear in logs, metrics or close reasons; the request URL is logged by path only.
//  - `disconnected` is emitted exactly once per session that emitted `connected`, synchronously when
//    the hub decides the session is over (so a superseded session's `disconnected` always comes
//    before its successor's `connected`).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { agentFrameDecoder, type DecodeResult } from '../../protocol/codec.js';
import type { AgentFacts, DockerFacts } from '../../protocol/container.js';
import {
  CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION,
  type AgentFrame, type ApplyFrame, type ControllerFrame, type ErrorFrame, type HelloFrame, type LogEndFrame,
  type LogFrame, type ObservedFrame, type RemoveFrame, type ResultFrame, type WelcomeFrame,
} from '../../protocol/frames.js';

export const AGENT_CONNECT_PATH = '/agent/v1/connect';

/** What `authenticate` answers. `code` (bounded set) labels the auth-failure metric; `reason` is the 401 body. */
export type AuthResult =
  | { ok: true; hostKey: string; tokenUid?: string; issuedAt?: Date; expiresAt?: Date }
  | { ok: false; reason: string; code?: string };

/** The per-host part of `welcome`; undefined when the host is not (or no longer) declared. */
export type WelcomeInfo = Omit<WelcomeFrame, 'type' | 'protocolVersion'>;

export interface SessionInfo {
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

export interface AgentHubEvents {
  connected: [hostKey: string, hello: HelloFrame, session: SessionInfo];
  observed: [hostKey: string, frame: ObservedFrame];
  result: [hostKey: string, frame: ResultFrame];
  log: [hostKey: string, frame: LogFrame];
  logEnd: [hostKey: string, frame: LogEndFrame];
  /** The agent could not accept one of our frames. */
  agentError: [hostKey: string, frame: ErrorFrame];
  disconnected: [hostKey: string, reason: string, detail: { code: number; sessionId: string }];
  /** A second connection for a host replaced the first (the controller records a Warning). */
  conflict: [hostKey: string, detail: { previous: SessionInfo; remoteAddress?: string }];
}

export interface AgentHubOptions {
  /**
   * Attach to this server's 'upgrade' event. Leave out when one router dispatches upgrades by path
   * (the controller's UpgradeRouter): it then calls `upgradeHandler` for the hub's path.
   */
  server?: Server;
  authenticate: (jwt: string) => AuthResult | Promise<AuthResult>;
  welcomeFor: (hostKey: string) => WelcomeInfo | undefined | Promise<WelcomeInfo | undefined>;
  logger?: Logger;
  /** Metrics go here; a private Registry when absent. */
  registry?: Registry;
  path?: string;
  /** Answer upgrades on other paths with 404 (default). False: leave them to other 'upgrade' listeners. */
  rejectOtherPaths?: boolean;
  pingIntervalMs?: number;
  /** Pings left unanswered before the socket is terminated. */
  missedPongLimit?: number;
  helloTimeoutMs?: number;
  invalidFrameLimit?: { count: number; windowMs: number };
  /**
   * Valid traffic per session: a token bucket of frames and bytes per second holding `burstSeconds`
   * worth. An agent over it is throttled, not closed: the hub stops reading its socket until the
   * bucket refills, so TCP backpressure slows the agent (its log streamer respects backpressure).
   * Default 1,000 frames/s and 8 MiB/s with a 2 s burst — far above a healthy agent (observed is
   * debounced to 4/s, log batches are ≥ 50 ms per stream) and far below what one flooding agent
   * needs to starve the others. Invalid frames have their own, closing, limit above.
   */
  rateLimit?: { framesPerSec: number; bytesPerSec: number; burstSeconds: number };
  dispatchTimeoutMs?: number;
  /** After we send a close frame, how long the peer has to finish the handshake before we terminate. */
  closeGraceMs?: number;
}

export type DispatchFrame = (Omit<ApplyFrame, 'id'> | Omit<RemoveFrame, 'id'>) & { id?: string };
export type DispatchFailure = 'not_connected' | 'timeout' | 'disconnected' | 'refused' | 'send_failed' | 'duplicate_id';

export class DispatchError extends Error {
  override readonly name = 'DispatchError';
  constructor(readonly code: DispatchFailure, message: string, readonly hostKey: string, readonly id?: string) { super(message); }
}

interface Pending { resolve: (r: ResultFrame) => void; reject: (e: DispatchError) => void; timer: NodeJS.Timeout }

interface Session {
  id: string;
  hostKey: string;
  tokenUid?: string;
  tokenIssuedAt?: Date;
  ws: WebSocket;
  remoteAddress?: string;
  connectedAt: Date;
  lastSeenAt: Date;
  state: 'hello' | 'welcoming' | 'ready' | 'closed';
  hello?: HelloFrame;
  docker?: DockerFacts;
  outstandingPings: number;
  timers: Set<NodeJS.Timeout>;
  pingTimer?: NodeJS.Timeout;
  invalidAt: number[];
  pending: Map<string, Pending>;
  /** Frames that arrived while welcomeFor was pending; replayed once ready. */
  backlog: Array<{ data: RawData; isBinary: boolean }>;
  /** The rate-limit bucket (may go negative: the deficit is the pause). */
  bucket: { frames: number; bytes: number; at: number };
  throttledUntil: number;
  lastThrottleLog: number;
  /** The one timer that resumes reading (re-armed whenever the pause grows). */
  resumeTimer?: NodeJS.Timeout;
}

const MAX_BACKLOG = 256;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Query parameters that carry credentials in other systems; their presence is refused outright. */
const TOKEN_PARAMS = /^(token|access_token|accesstoken|jwt|bearer|auth|authorization|id_token)$/i;
const LOOKS_LIKE_JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;
const BEARER = /^Bearer +(\S+) *$/i;

/** A close reason fits in 123 bytes of UTF-8 (ws throws otherwise). */
function closeReason(reason: string): string {
  let r = reason.replace(/[\r\n]+/g, ' ');
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
const validCloseCode = (code: number): boolean =>
  Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const rawLength = (data: RawData): number =>
  Buffer.isBuffer(data) ? data.length : Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

export class AgentHub extends EventEmitter<AgentHubEvents> {
  readonly registry: Registry;
  private readonly server: Server | undefined;
  private readonly authenticate: AgentHubOptions['authenticate'];
  private readonly welcomeFor: AgentHubOptions['welcomeFor'];
  private readonly log: Logger;
  private readonly path: string;
  private readonly rejectOtherPaths: boolean;
  private readonly pingIntervalMs: number;
  private readonly missedPongLimit: number;
  private readonly helloTimeoutMs: number;
  private readonly invalidLimit: { count: number; windowMs: number };
  private readonly rateLimit: { framesPerSec: number; bytesPerSec: number; burstSeconds: number };
  private readonly dispatchTimeoutMs: number;
  private readonly closeGraceMs: number;
  private readonly decoder = agentFrameDecoder();
  private readonly wss: WebSocketServer;
  private readonly byHost = new Map<string, Session>();
  /** Every socket still open, including superseded ones finishing their close handshake. */
  private readonly sockets = new Set<WebSocket>();
  private closed = false;

  private readonly mConnected: Gauge;
  private readonly mReceived: Counter<'type'>;
  private readonly mSent: Counter<'type'>;
  private readonly mInvalid: Counter<'code'>;
  private readonly mAuthFailures: Counter<'reason'>;
  private readonly mSuperseded: Counter;
  private readonly mThrottled: Counter;

  constructor(opts: AgentHubOptions) {
    super();
    this.server = opts.server;
    this.authenticate = opts.authenticate;
    this.welcomeFor = opts.welcomeFor;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'agent-hub' });
    this.path = opts.path ?? AGENT_CONNECT_PATH;
    this.rejectOtherPaths = opts.rejectOtherPaths ?? true;
    this.pingIntervalMs = opts.pingIntervalMs ?? 15_000;
    this.missedPongLimit = opts.missedPongLimit ?? 2;
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 10_000;
    this.invalidLimit = opts.invalidFrameLimit ?? { count: 20, windowMs: 10_000 };
    this.rateLimit = opts.rateLimit ?? { framesPerSec: 1000, bytesPerSec: 8 * 1024 * 1024, burstSeconds: 2 };
    this.dispatchTimeoutMs = opts.dispatchTimeoutMs ?? 120_000;
    this.closeGraceMs = opts.closeGraceMs ?? 2_000;
    this.registry = opts.registry ?? new Registry();
    const registers = [this.registry];
    // Counted when scraped: counting on every connect and disconnect walked all sessions each time,
    // O(n²) over a reconnect storm of thousands of agents (bench/scale).
    const sessions = this.byHost;
    this.mConnected = new Gauge({ name: 'berth_hub_connected_agents', help: 'Agents with an accepted hello, one per host.', registers, collect() {
      let n = 0;
      for (const s of sessions.values()) if (s.state === 'ready') n++;
      this.set(n);
    } });
    this.mReceived = new Counter({ name: 'berth_hub_frames_received_total', help: 'Valid frames received from agents, by type.', labelNames: ['type'], registers });
    this.mSent = new Counter({ name: 'berth_hub_frames_sent_total', help: 'Frames sent to agents, by type.', labelNames: ['type'], registers });
    this.mInvalid = new Counter({ name: 'berth_hub_invalid_frames_total', help: 'Frames from agents refused with an error reply, by code.', labelNames: ['code'], registers });
    this.mAuthFailures = new Counter({ name: 'berth_hub_auth_failures_total', help: 'Agent connections refused before the upgrade, by reason.', labelNames: ['reason'], registers });
    this.mSuperseded = new Counter({ name: 'berth_hub_sessions_superseded_total', help: 'Sessions replaced by a newer connection for the same host.', registers });
    this.mThrottled = new Counter({ name: 'berth_hub_throttled_total', help: 'Episodes of an agent exceeding the frame/byte rate limit (its socket paused until the bucket refills).', registers });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
    this.server?.on('upgrade', this.onUpgrade);
  }

  // ---------------------------------------------------------------- public API

  /** Whether the host has a session that completed hello/welcome. */
  isConnected(hostKey: string): boolean { return this.byHost.get(hostKey)?.state === 'ready'; }

  /** The current session of every host (ready or still greeting). */
  sessions(): SessionInfo[] { return [...this.byHost.values()].map((s) => this.info(s)); }
  session(hostKey: string): SessionInfo | undefined {
    const s = this.byHost.get(hostKey);
    return s ? this.info(s) : undefined;
  }

  /** Send a frame to a ready host. False when not connected, not open, or the frame is too large. */
  send(hostKey: string, frame: ControllerFrame): boolean {
    const s = this.byHost.get(hostKey);
    return s?.state === 'ready' ? this.sendTo(s, frame) : false;
  }

  /**
   * Send an `apply`/`remove` and wait for the agent's `result` with the same id. Rejects with a
   * DispatchError on timeout, disconnect, an `error` reply, or when the host is not connected.
   * A result with ok=false resolves (the caller reads `ok`/`error`).
   */
  dispatch(hostKey: string, frame: DispatchFrame, opts: { timeoutMs?: number } = {}): Promise<ResultFrame> {
    const id = frame.id ?? randomUUID();
    const s = this.byHost.get(hostKey);
    if (!s || s.state !== 'ready') return Promise.reject(new DispatchError('not_connected', `agent for ${hostKey} is not connected`, hostKey, id));
    if (s.pending.has(id)) return Promise.reject(new DispatchError('duplicate_id', `a dispatch with id ${id} is already pending`, hostKey, id));
    return new Promise<ResultFrame>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.dispatchTimeoutMs;
      const timer = setTimeout(() => {
        s.pending.delete(id);
        reject(new DispatchError('timeout', `no result from ${hostKey} for ${frame.type} ${id} within ${timeoutMs} ms`, hostKey, id));
      }, timeoutMs);
      timer.unref();
      s.pending.set(id, { resolve, reject, timer });
      if (!this.sendTo(s, { ...frame, id } as ControllerFrame)) {
        clearTimeout(timer);
        s.pending.delete(id);
        reject(new DispatchError('send_failed', `could not send ${frame.type} ${id} to ${hostKey}`, hostKey, id));
      }
    });
  }

  /** Close the host's session (e.g. 4003 on revocation). True when there was one. */
  disconnect(hostKey: string, code: number = CLOSE.revoked, reason = 'token revoked'): boolean {
    const s = this.byHost.get(hostKey);
    if (!s) return false;
    this.closeSession(s, code, reason);
    return true;
  }

  /**
   * Close every session authenticated with this AgentToken uid (a host may have several tokens;
   * deleting one must not cut an agent using another). `issuedBefore` limits it to tokens minted
   * before a rotation. Returns how many were closed.
   */
  disconnectToken(tokenUid: string, code: number = CLOSE.revoked, reason = 'token revoked', opts: { issuedBefore?: Date } = {}): number {
    let n = 0;
    for (const s of [...this.byHost.values()]) {
      if (s.tokenUid !== tokenUid) continue;
      if (opts.issuedBefore && s.tokenIssuedAt && s.tokenIssuedAt.getTime() >= opts.issuedBefore.getTime()) continue;
      this.closeSession(s, code, reason);
      n++;
    }
    return n;
  }

  /** Stop accepting agents and close every session with 1001; resolves when all sockets are gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.server?.off('upgrade', this.onUpgrade);
    for (const s of [...this.byHost.values()]) this.closeSession(s, CLOSE.shuttingDown, 'controller shutting down');
    await Promise.all([...this.sockets].map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      const t = setTimeout(() => { try { ws.terminate(); } catch { /* already gone */ } resolve(); }, this.closeGraceMs + 100);
      t.unref();
    })));
    this.wss.close();
  }

  // ---------------------------------------------------------------- upgrade / authentication

  /** The 'upgrade' handler, for a router that dispatches by path (see `server`). */
  readonly upgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.onUpgrade(req, socket, head);

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.handleUpgrade(req, socket, head).catch((err: unknown) => {
      this.log.error({ err }, 'agent upgrade failed');
      this.refuse(socket, 500, 'internal error');
    });
  };

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let url: URL;
    try { url = new URL(req.url ?? '/', 'http://agent.invalid'); } catch { url = new URL('http://agent.invalid/'); }
    if (url.pathname !== this.path) {
      if (this.rejectOtherPaths) this.refuse(socket, 404, 'not found');
      return;
    }
    const onSocketError = (err: Error) => this.log.debug({ err: err.message }, 'agent socket error before upgrade');
    socket.on('error', onSocketError);
    const remoteAddress = req.socket.remoteAddress;
    const fail = (status: number, code: string, reason: string) => {
      this.mAuthFailures.inc({ reason: code });
      this.log.warn({ remoteAddress, path: url.pathname, reason }, 'agent connection refused');
      this.refuse(socket, status, reason);
    };
    if (this.closed) return fail(503, 'shutting_down', 'controller shutting down');

    for (const [name, value] of url.searchParams) {
      if (TOKEN_PARAMS.test(name) || LOOKS_LIKE_JWT.test(value)) {
        return fail(401, 'token_in_url', 'tokens in the URL are refused; send the token in an Authorization: Bearer header');
      }
    }
    const header = req.headers.authorization;
    const m = header ? BEARER.exec(header) : null;
    if (!m?.[1]) return fail(401, 'missing_bearer', 'missing bearer token (Authorization: Bearer <token>)');

    let auth: AuthResult;
    try {
      auth = await this.authenticate(m[1]);
    } catch (err) {
      this.log.error({ err: (err as Error)?.message }, 'agent authentication errored');
      return fail(503, 'auth_error', 'authentication unavailable, retry later');
    }
    if (socket.destroyed) return;
    if (this.closed) return fail(503, 'shutting_down', 'controller shutting down');
    if (!auth.ok) return fail(401, (auth.code ?? auth.reason).slice(0, 64), auth.reason);

    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onSocketError);
      try { this.onConnection(ws, auth, remoteAddress); } catch (err) {
        this.log.error({ err }, 'agent session setup failed');
        try { ws.terminate(); } catch { /* gone */ }
      }
    });
  }

  /** Answer a not-upgraded request with a plain HTTP response and drop the socket. */
  private refuse(socket: Duplex, status: number, reason: string): void {
    if (socket.destroyed) return;
    socket.on('error', () => { /* peer went away while we answer */ });
    const body = `${reason.replace(/[\r\n]+/g, ' ').slice(0, 256)}\n`;
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...(status === 401 ? ['WWW-Authenticate: Bearer realm="berth-agent"'] : []),
    ].join('\r\n');
    socket.once('finish', () => socket.destroy());
    const t = setTimeout(() => socket.destroy(), 1000);
    t.unref();
    socket.end(`${head}\r\n\r\n${body}`);
  }

  // ---------------------------------------------------------------- sessions

  private onConnection(ws: WebSocket, auth: Extract<AuthResult, { ok: true }>, remoteAddress: string | undefined): void {
    const now = new Date();
    const s: Session = {
      id: randomUUID(), hostKey: auth.hostKey, ws, connectedAt: now, lastSeenAt: now, state: 'hello',
      outstandingPings: 0, timers: new Set(), invalidAt: [], pending: new Map(), backlog: [],
      bucket: { frames: this.rateLimit.framesPerSec * this.rateLimit.burstSeconds, bytes: this.rateLimit.bytesPerSec * this.rateLimit.burstSeconds, at: Date.now() },
      throttledUntil: 0, lastThrottleLog: 0,
      ...(auth.tokenUid ? { tokenUid: auth.tokenUid } : {}),
      ...(auth.issuedAt ? { tokenIssuedAt: auth.issuedAt } : {}),
      ...(remoteAddress ? { remoteAddress } : {}),
    };
    this.sockets.add(ws);
    ws.on('error', (err) => this.log.info({ host: s.hostKey, session: s.id, err: err.message }, 'agent socket error'));
    ws.on('close', (code, reason) => {
      this.sockets.delete(ws);
      this.retire(s, `connection closed (${code}${reason.length ? `: ${reason.toString('utf8')}` : ''})`, code);
    });
    ws.on('pong', () => { s.outstandingPings = 0; s.lastSeenAt = new Date(); });
    ws.on('message', (data, isBinary) => {
      try { this.charge(s, data); this.onMessage(s, data, isBinary); } catch (err) {
        this.log.error({ host: s.hostKey, session: s.id, err }, 'frame handling failed');
      }
    });

    const previous = this.byHost.get(s.hostKey);
    this.byHost.set(s.hostKey, s);
    if (previous) {
      this.mSuperseded.inc();
      this.log.warn({ host: s.hostKey, previous: previous.id, session: s.id, remoteAddress, previousRemoteAddress: previous.remoteAddress },
        'second agent connection for host supersedes the first');
      this.fire('conflict', s.hostKey, { previous: this.info(previous), ...(remoteAddress ? { remoteAddress } : {}) });
      this.closeSession(previous, CLOSE.superseded, 'superseded by a newer connection');
    }
    this.log.info({ host: s.hostKey, session: s.id, tokenUid: s.tokenUid, remoteAddress }, 'agent authenticated; awaiting hello');

    this.after(s, this.helloTimeoutMs, () => {
      if (s.state === 'hello') this.closeSession(s, CLOSE.protocolError, `no hello within ${seconds(this.helloTimeoutMs)}`);
    });
    s.pingTimer = setInterval(() => this.heartbeat(s), this.pingIntervalMs);
    s.pingTimer.unref();
    if (auth.expiresAt) this.expireAt(s, auth.expiresAt.getTime());
  }

  /**
   * Take one frame and its bytes from the session's bucket; in deficit, pause reading the socket for
   * as long as the refill takes. Frames ws had already buffered may still arrive while paused: they
   * are charged too, which only lengthens the pause.
   */
  private charge(s: Session, data: RawData): void {
    const { framesPerSec, bytesPerSec, burstSeconds } = this.rateLimit;
    const b = s.bucket;
    const now = Date.now();
    const elapsed = (now - b.at) / 1000;
    b.at = now;
    b.frames = Math.min(framesPerSec * burstSeconds, b.frames + elapsed * framesPerSec) - 1;
    b.bytes = Math.min(bytesPerSec * burstSeconds, b.bytes + elapsed * bytesPerSec) - rawLength(data);
    if (b.frames >= 0 && b.bytes >= 0) return;
    const waitMs = Math.ceil(Math.max(-b.frames / framesPerSec, -b.bytes / bytesPerSec) * 1000);
    if (now + waitMs <= s.throttledUntil) return;   // already paused long enough
    if (now >= s.throttledUntil) this.mThrottled.inc();   // a new episode, not a longer pause
    s.throttledUntil = now + waitMs;
    if (now - s.lastThrottleLog >= 10_000) {
      s.lastThrottleLog = now;
      this.log.warn({ host: s.hostKey, session: s.id, waitMs, framesPerSec, bytesPerSec },
        `agent exceeds the rate limit (${framesPerSec} frames/s, ${(bytesPerSec / 1048576).toFixed(0)} MiB/s); reading from it is paused`);
    }
    try { s.ws.pause(); } catch { /* closing */ }
    // One resume timer, replaced when the pause grows. (Not "resume if Date.now() >= until" on
    // several timers: a timer may fire a millisecond early by the wall clock, and then nothing
    // would ever resume the socket.)
    if (s.resumeTimer) { clearTimeout(s.resumeTimer); s.timers.delete(s.resumeTimer); }
    s.resumeTimer = this.after(s, waitMs, () => { s.resumeTimer = undefined; try { s.ws.resume(); } catch { /* closing */ } });
  }

  private heartbeat(s: Session): void {
    if (s.state === 'closed') return;
    if (s.outstandingPings >= this.missedPongLimit) {
      this.log.warn({ host: s.hostKey, session: s.id, missed: s.outstandingPings }, 'agent missed pongs; terminating');
      this.retire(s, `no pong for ${s.outstandingPings} pings`, 1006);
      try { s.ws.terminate(); } catch { /* gone */ }
      return;
    }
    s.outstandingPings++;
    try { s.ws.ping(); } catch { /* closing; the close handler retires it */ }
  }

  /** Close the session when its token expires (timers cap at ~24.8 days, so re-arm). */
  private expireAt(s: Session, atMs: number): void {
    const delay = atMs - Date.now();
    if (delay <= 0) return this.closeSession(s, CLOSE.revoked, 'token expired');
    this.after(s, Math.min(delay, MAX_TIMER_MS), () => this.expireAt(s, atMs));
  }

  private after(s: Session, ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      s.timers.delete(t);
      try { fn(); } catch (err) { this.log.error({ err }, 'hub timer failed'); }
    }, ms);
    t.unref();
    s.timers.add(t);
    return t;
  }

  /** Send a close frame (the session is over for the hub right away); terminate if the peer stalls. */
  private closeSession(s: Session, code: number, reason: string): void {
    const safeCode = validCloseCode(code) ? code : CLOSE.protocolError;
    const safeReason = closeReason(reason);
    this.log.info({ host: s.hostKey, session: s.id, code: safeCode, reason: safeReason }, 'closing agent session');
    this.retire(s, safeReason, safeCode);
    const ws = s.ws;
    try { ws.close(safeCode, safeReason); } catch { /* already closing */ }
    const t = setTimeout(() => { if (ws.readyState !== WebSocket.CLOSED) { try { ws.terminate(); } catch { /* gone */ } } }, this.closeGraceMs);
    t.unref();
  }

  /** The session is over: idempotent bookkeeping, pending dispatches rejected, `disconnected` once. */
  private retire(s: Session, reason: string, code: number): void {
    if (s.state === 'closed') return;
    const wasReady = s.state === 'ready';
    s.state = 'closed';
    s.backlog = [];
    if (s.pingTimer) clearInterval(s.pingTimer);
    for (const t of s.timers) clearTimeout(t);
    s.timers.clear();
    if (this.byHost.get(s.hostKey) === s) this.byHost.delete(s.hostKey);
    for (const [id, p] of s.pending) {
      clearTimeout(p.timer);
      p.reject(new DispatchError('disconnected', `agent for ${s.hostKey} disconnected: ${reason}`, s.hostKey, id));
    }
    s.pending.clear();
    this.log.info({ host: s.hostKey, session: s.id, code, reason }, 'agent session ended');
    if (wasReady) this.fire('disconnected', s.hostKey, reason, { code, sessionId: s.id });
  }

  // ---------------------------------------------------------------- frames

  private onMessage(s: Session, data: RawData, isBinary: boolean): void {
    if (s.state === 'closed') return;
    s.lastSeenAt = new Date();
    s.outstandingPings = 0;
    if (s.state === 'welcoming') {
      if (s.backlog.length >= MAX_BACKLOG) return this.closeSession(s, CLOSE.protocolError, 'too many frames before welcome');
      s.backlog.push({ data, isBinary });
      return;
    }
    if (isBinary) return this.invalid(s, 'binary', 'binary frames are not accepted; send JSON text frames');
    const raw = toBuffer(data);
    let decoded: DecodeResult<AgentFrame>;
    try { decoded = this.decoder.decode(raw); } catch {
      decoded = { ok: false, code: 'invalid', message: 'a frame must be a JSON object with a "type"' };
    }
    if (!decoded.ok) {
      if (s.state === 'hello') {
        const version = foreignHelloVersion(raw);
        if (version !== undefined) return this.refuseVersion(s, version);
      }
      return this.invalid(s, decoded.code, decoded.message, decoded.id);
    }
    const frame = decoded.frame;
    this.mReceived.inc({ type: frame.type });

    if (frame.type === 'error') {
      // Never answer an error with an error (no ping-pong between two confused peers).
      this.log.info({ host: s.hostKey, id: frame.id, code: frame.code }, 'agent reported an error');
      if (frame.id) {
        const p = s.pending.get(frame.id);
        if (p) {
          s.pending.delete(frame.id);
          clearTimeout(p.timer);
          p.reject(new DispatchError('refused', `agent refused ${frame.id}: ${frame.code}: ${frame.message}`, s.hostKey, frame.id));
        }
      }
      if (s.state === 'ready') this.fire('agentError', s.hostKey, frame);
      return;
    }

    if (s.state === 'hello') {
      if (frame.type !== 'hello') return this.invalid(s, 'expected_hello', `the first frame must be hello, got ${frame.type}`);
      if (frame.protocolVersion !== PROTOCOL_VERSION) return this.refuseVersion(s, frame.protocolVersion);
      void this.onHello(s, frame);
      return;
    }

    switch (frame.type) {
      case 'hello':
        return this.invalid(s, 'unexpected_hello', 'hello was already accepted on this connection');
      case 'observed':
        s.docker = frame.docker;
        this.fire('observed', s.hostKey, frame);
        return;
      case 'result': {
        const p = s.pending.get(frame.id);
        if (p) {
          s.pending.delete(frame.id);
          clearTimeout(p.timer);
          p.resolve(frame);
        }
        this.fire('result', s.hostKey, frame);
        return;
      }
      case 'log':
        this.fire('log', s.hostKey, frame);
        return;
      case 'logEnd':
        this.fire('logEnd', s.hostKey, frame);
        return;
    }
  }

  private async onHello(s: Session, hello: HelloFrame): Promise<void> {
    s.state = 'welcoming';
    s.hello = hello;
    s.docker = hello.docker;
    let welcome: WelcomeInfo | undefined;
    try {
      welcome = await this.welcomeFor(s.hostKey);
    } catch (err) {
      this.log.error({ host: s.hostKey, err: (err as Error)?.message }, 'welcomeFor failed');
      if (s.state === 'welcoming') this.closeSession(s, 1011, 'controller error; retry later');
      return;
    }
    if (s.state !== 'welcoming') return;
    if (!welcome) return this.closeSession(s, 1008, `host ${s.hostKey} is not declared`);
    if (!this.sendTo(s, { type: 'welcome', protocolVersion: PROTOCOL_VERSION, ...welcome })) {
      return this.closeSession(s, 1011, 'could not send welcome');
    }
    s.state = 'ready';
    this.log.info({ host: s.hostKey, session: s.id, agent: hello.agent, docker: hello.docker.ok, containers: hello.containers.length }, 'agent connected');
    this.fire('connected', s.hostKey, hello, this.info(s));
    const backlog = s.backlog;
    s.backlog = [];
    for (const m of backlog) {
      if (s.state !== 'ready') break;
      try { this.onMessage(s, m.data, m.isBinary); } catch (err) { this.log.error({ err }, 'frame handling failed'); }
    }
  }

  private refuseVersion(s: Session, version: unknown): void {
    this.mInvalid.inc({ code: 'unsupported_version' });
    this.closeSession(s, CLOSE.unsupportedVersion, `protocol version ${String(version).slice(0, 16)} not supported; this controller speaks ${PROTOCOL_VERSION}`);
  }

  private invalid(s: Session, code: string, message: string, id?: string): void {
    this.mInvalid.inc({ code });
    this.log.info({ host: s.hostKey, session: s.id, code }, 'invalid frame from agent');
    this.sendTo(s, { type: 'error', ...(id ? { id } : {}), code, message: message.slice(0, 8192) });
    const now = Date.now();
    s.invalidAt.push(now);
    while (s.invalidAt.length && s.invalidAt[0]! <= now - this.invalidLimit.windowMs) s.invalidAt.shift();
    if (s.invalidAt.length > this.invalidLimit.count) {
      this.closeSession(s, CLOSE.protocolError, `too many invalid frames (${s.invalidAt.length} in ${seconds(this.invalidLimit.windowMs)})`);
    }
  }

  private sendTo(s: Session, frame: ControllerFrame): boolean {
    if (s.state === 'closed' || s.ws.readyState !== WebSocket.OPEN) return false;
    let data: string;
    try { data = JSON.stringify(frame); } catch { return false; }
    if (Buffer.byteLength(data) > MAX_FRAME_BYTES) {
      this.log.error({ host: s.hostKey, type: frame.type, bytes: Buffer.byteLength(data) }, 'frame to agent exceeds the frame limit; not sent');
      return false;
    }
    try {
      s.ws.send(data, (err) => { if (err) this.log.debug({ host: s.hostKey, err: err.message }, 'send to agent failed'); });
    } catch {
      return false;
    }
    this.mSent.inc({ type: frame.type });
    return true;
  }

  // ---------------------------------------------------------------- helpers

  private info(s: Session): SessionInfo {
    return {
      hostKey: s.hostKey,
      sessionId: s.id,
      ...(s.tokenUid ? { tokenUid: s.tokenUid } : {}),
      ...(s.tokenIssuedAt ? { tokenIssuedAt: s.tokenIssuedAt.toISOString() } : {}),
      ...(s.remoteAddress ? { remoteAddress: s.remoteAddress } : {}),
      connectedAt: s.connectedAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      ready: s.state === 'ready',
      ...(s.hello ? { protocolVersion: s.hello.protocolVersion, agent: s.hello.agent } : {}),
      ...(s.docker ? { docker: s.docker } : {}),
    };
  }

  /** Emit without letting a listener's exception escape into a socket handler. */
  private fire<K extends keyof AgentHubEvents>(event: K, ...args: AgentHubEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: AgentHubEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ event, err }, 'agent hub listener threw');
    }
  }
}

/**
 * A `hello` from another protocol version may not match this version's schema at all; recognise
 * it anyway so that the agent gets the clear 4002 instead of a schema error.
 */
function foreignHelloVersion(raw: Buffer): unknown {
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'hello') {
      const version = (v as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'number' && version !== PROTOCOL_VERSION) return version;
    }
  } catch { /* not JSON: an ordinary invalid frame */ }
  return undefined;
}
