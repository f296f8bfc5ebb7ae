// The agent hub (DESIGN §3 Connect, §4): terminates agent WebSockets routed to it by the
// controller's UpgradeRouter, admits them BEFORE the upgrade (auth.ts), keeps one AgentConnection
// per host (connection.ts: one socket's state machine, heartbeat, limits), and turns agent traffic
// into typed hub notifications for the controller. It knows nothing of stores or Kubernetes:
// authentication and the welcome contents are injected functions.
//
// Invariants:
//  - Nothing thrown by a socket, a frame or a listener escapes a handler (a bad agent never crashes
//    the controller); listener exceptions are logged and swallowed.
//  - Tokens never appear in logs, metrics or close reasons; the request URL is logged by path only.
//  - `disconnected` is emitted exactly once per connection that emitted `connected`, synchronously
//    when the hub decides the connection is over (so a superseded connection's `disconnected`
//    always comes before its successor's `connected`).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { agentFrameDecoder } from '../../protocol/codec.js';
import {
  CLOSE, MAX_FRAME_BYTES,
  type ControllerFrame, type ErrorFrame, type ExecCreditFrame, type ExecEndFrame, type ExecOutputFrame, type HelloFrame, type LogEndFrame, type LogFrame, type ObservedFrame, type StatsFrame, type ResultFrame,
} from '../../protocol/frames.js';
import { bearerToken, checkToken, refuseAgent, type Authenticate, type Authenticated } from './auth.js';
import { AgentConnection, type AgentReport, type ConnectionHost, type ConnectionInfo, type ConnectionLimits, type WelcomeInfo } from './connection.js';
import { DispatchError, type DispatchFrame } from './dispatches.js';
import type { RateLimit } from './rate-limit.js';

export type { AuthResult } from './auth.js';
export type { ConnectionInfo, WelcomeInfo } from './connection.js';
export { DispatchError, type DispatchFailure, type DispatchFrame } from './dispatches.js';

/** What the hub tells the controller. */
export interface HubNotifications {
  connected: [hostKey: string, hello: HelloFrame, connection: ConnectionInfo];
  observed: [hostKey: string, frame: ObservedFrame];
  result: [hostKey: string, frame: ResultFrame];
  log: [hostKey: string, frame: LogFrame];
  logEnd: [hostKey: string, frame: LogEndFrame];
  /** `berth exec` traffic (controller/operate/exec-relay.ts routes it by exec id). */
  exec: [hostKey: string, frame: ExecOutputFrame | ExecEndFrame | ExecCreditFrame];
  /** Container resource samples (controller/stats/ keeps the history). */
  stats: [hostKey: string, frame: StatsFrame];
  /** The agent could not accept one of our frames. */
  agentError: [hostKey: string, frame: ErrorFrame];
  disconnected: [hostKey: string, reason: string, detail: { code: number; sessionId: string }];
  /** A second connection for a host replaced the first (the controller records a Warning). */
  conflict: [hostKey: string, detail: { previous: ConnectionInfo; remoteAddress?: string }];
}

export interface AgentHubOptions {
  authenticate: Authenticate;
  welcomeFor: (hostKey: string) => WelcomeInfo | undefined | Promise<WelcomeInfo | undefined>;
  logger?: Logger;
  /** Metrics go here; a private Registry when absent. */
  registry?: Registry;
  pingIntervalMs?: number;
  /** Pings left unanswered before the socket is terminated. */
  missedPongLimit?: number;
  helloTimeoutMs?: number;
  invalidFrameLimit?: { count: number; windowMs: number };
  /**
   * Valid traffic per connection: a token bucket of frames and bytes per second holding
   * `burstSeconds` worth (rate-limit.ts). An agent over it is throttled, not closed: the hub stops
   * reading its socket until the bucket refills, so TCP backpressure slows the agent (its log
   * streamer respects backpressure). Default 1,000 frames/s and 8 MiB/s with a 2 s burst — far
   * above a healthy agent (observed is debounced to 4/s, log batches are ≥ 50 ms per stream) and
   * far below what one flooding agent needs to starve the others. Invalid frames have their own,
   * closing, limit above.
   */
  rateLimit?: RateLimit;
  dispatchTimeoutMs?: number;
  /** After we send a close frame, how long the peer has to finish the handshake before we terminate. */
  closeGraceMs?: number;
}

export class AgentHub extends EventEmitter<HubNotifications> {
  readonly registry: Registry;
  private readonly authenticate: Authenticate;
  private readonly log: Logger;
  private readonly dispatchTimeoutMs: number;
  private readonly limits: ConnectionLimits;
  private readonly wss: WebSocketServer;
  private readonly byHost = new Map<string, AgentConnection>();
  /** Every connection whose socket is still open, including superseded ones finishing their close handshake. */
  private readonly open = new Set<AgentConnection>();
  /** What every connection shares: limits, decoder, metrics, and the way back to this hub. */
  private readonly connectionHost: ConnectionHost;
  private closed = false;

  private readonly mAuthFailures: Counter<'reason'>;
  private readonly mSuperseded: Counter;

  constructor(opts: AgentHubOptions) {
    super();
    this.authenticate = opts.authenticate;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'agent-hub' });
    this.dispatchTimeoutMs = opts.dispatchTimeoutMs ?? 120_000;
    this.limits = {
      pingIntervalMs: opts.pingIntervalMs ?? 15_000,
      missedPongLimit: opts.missedPongLimit ?? 2,
      helloTimeoutMs: opts.helloTimeoutMs ?? 10_000,
      invalidFrameLimit: opts.invalidFrameLimit ?? { count: 20, windowMs: 10_000 },
      rateLimit: opts.rateLimit ?? { framesPerSec: 1000, bytesPerSec: 8 * 1024 * 1024, burstSeconds: 2 },
      closeGraceMs: opts.closeGraceMs ?? 2_000,
    };
    this.registry = opts.registry ?? new Registry();
    const registers = [this.registry];
    // Counted when scraped: counting on every connect and disconnect walked all connections each
    // time, O(n²) over a reconnect storm of thousands of agents (bench/scale).
    const connections = this.byHost;
    new Gauge({ name: 'berth_hub_connected_agents', help: 'Agents with an accepted hello, one per host.', registers, collect() {
      let n = 0;
      for (const c of connections.values()) if (c.isReady) n++;
      this.set(n);
    } });
    // Liveness in metrics, not in status (issue 17): how long the quietest connected agent has
    // been silent. Pings keep it under the ping interval; above it, some agent stopped answering.
    new Gauge({ name: 'berth_hub_agent_silence_max_seconds', help: 'Longest time since a connected agent was last heard from (pong or frame), in seconds; 0 with none connected.', registers, collect() {
      let oldest = Infinity;
      for (const c of connections.values()) if (c.isReady && c.lastSeenMs < oldest) oldest = c.lastSeenMs;
      this.set(Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0);
    } });
    const metrics: ConnectionHost['metrics'] = {
      received: new Counter({ name: 'berth_hub_frames_received_total', help: 'Valid frames received from agents, by type.', labelNames: ['type'], registers }),
      sent: new Counter({ name: 'berth_hub_frames_sent_total', help: 'Frames sent to agents, by type.', labelNames: ['type'], registers }),
      invalid: new Counter({ name: 'berth_hub_invalid_frames_total', help: 'Frames from agents refused with an error reply, by code.', labelNames: ['code'], registers }),
      throttled: new Counter({ name: 'berth_hub_throttled_total', help: 'Episodes of an agent exceeding the frame/byte rate limit (its socket paused until the bucket refills).', registers }),
    };
    this.mAuthFailures = new Counter({ name: 'berth_hub_auth_failures_total', help: 'Agent connections refused before the upgrade, by reason.', labelNames: ['reason'], registers });
    this.mSuperseded = new Counter({ name: 'berth_hub_sessions_superseded_total', help: 'Sessions replaced by a newer connection for the same host.', registers });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
    this.connectionHost = {
      log: this.log, limits: this.limits, decoder: agentFrameDecoder(), metrics,
      welcomeFor: opts.welcomeFor,
      ready: (c, hello) => this.fire('connected', c.hostKey, hello, c.info()),
      report: (c, frame) => this.report(c.hostKey, frame),
      ended: (c, reason, code, wasReady) => {
        if (this.byHost.get(c.hostKey) === c) this.byHost.delete(c.hostKey);
        this.log.info({ host: c.hostKey, session: c.id, code, reason }, 'agent session ended');
        if (wasReady) this.fire('disconnected', c.hostKey, reason, { code, sessionId: c.id });
      },
    };
  }

  // ---------------------------------------------------------------- public API

  /** Whether the host has a connection that completed hello/welcome. */
  isConnected(hostKey: string): boolean { return this.byHost.get(hostKey)?.isReady ?? false; }

  /** The current connection of every host (ready or still greeting). */
  connections(): ConnectionInfo[] { return [...this.byHost.values()].map((c) => c.info()); }
  connection(hostKey: string): ConnectionInfo | undefined { return this.byHost.get(hostKey)?.info(); }

  /** Send a frame to a ready host. False when not connected, not open, or the frame is too large. */
  send(hostKey: string, frame: ControllerFrame): boolean {
    const c = this.byHost.get(hostKey);
    return c?.isReady ? c.send(frame) : false;
  }

  /**
   * Send an `apply`/`remove` and wait for the agent's `result` with the same id. Rejects with a
   * DispatchError on timeout, disconnect, an `error` reply, or when the host is not connected.
   * A result with ok=false resolves (the caller reads `ok`/`error`).
   */
  dispatch(hostKey: string, frame: DispatchFrame, opts: { timeoutMs?: number } = {}): Promise<ResultFrame> {
    const id = frame.id ?? randomUUID();
    const c = this.byHost.get(hostKey);
    if (!c?.isReady) return Promise.reject(new DispatchError('not_connected', `agent for ${hostKey} is not connected`, hostKey, id));
    return c.dispatch(frame, id, opts.timeoutMs ?? this.dispatchTimeoutMs);
  }

  /** Close the host's connection (e.g. 4003 on revocation). True when there was one. */
  disconnect(hostKey: string, code: number = CLOSE.revoked, reason = 'token revoked'): boolean {
    const c = this.byHost.get(hostKey);
    if (!c) return false;
    c.close(code, reason);
    return true;
  }

  /**
   * Close every connection authenticated with this AgentToken uid (a host may have several tokens;
   * deleting one must not cut an agent using another). `issuedBefore` limits it to tokens minted
   * before a rotation. Returns how many were closed.
   */
  disconnectToken(tokenUid: string, code: number = CLOSE.revoked, reason = 'token revoked', opts: { issuedBefore?: Date } = {}): number {
    let n = 0;
    for (const c of [...this.byHost.values()]) {
      if (c.tokenUid !== tokenUid) continue;
      if (opts.issuedBefore && c.tokenIssuedAt && c.tokenIssuedAt.getTime() >= opts.issuedBefore.getTime()) continue;
      c.close(code, reason);
      n++;
    }
    return n;
  }

  /**
   * Re-verify live sessions: close (4003) every connection for which `check` answers a reason —
   * revocation does not depend on who remembered what (controller/tokens/session-recheck.ts).
   * Returns how many were closed.
   */
  revalidate(check: (session: ConnectionInfo) => string | undefined): number {
    let n = 0;
    for (const c of [...this.byHost.values()]) {
      const reason = check(c.info());
      if (reason === undefined) continue;
      this.log.info({ host: c.hostKey, session: c.id, tokenUid: c.tokenUid, reason }, 'live agent session no longer authorized');
      c.close(CLOSE.revoked, reason);
      n++;
    }
    return n;
  }

  /** Stop accepting agents and close every connection with 1001; resolves when all sockets are gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.byHost.values()]) c.close(CLOSE.shuttingDown, 'controller shutting down');
    await Promise.all([...this.open].map((c) => c.settle(this.limits.closeGraceMs + 100)));
    this.wss.close();
  }

  // ---------------------------------------------------------------- upgrade

  /** The UpgradeHandler for AGENT_CONNECT_PATH (the router has matched the path). */
  readonly upgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.handleUpgrade(req, socket, head).catch((err: unknown) => {
      this.log.error({ err }, 'agent upgrade failed');
      refuseAgent(socket, 500, 'internal error');
    });
  };

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    let url: URL;
    try { url = new URL(req.url ?? '/', 'http://agent.invalid'); } catch { url = new URL('http://agent.invalid/'); }
    const onSocketError = (err: Error) => this.log.debug({ err: err.message }, 'agent socket error before upgrade');
    socket.on('error', onSocketError);
    const remoteAddress = req.socket.remoteAddress;
    const fail = (status: number, code: string, reason: string) => {
      this.mAuthFailures.inc({ reason: code });
      this.log.warn({ remoteAddress, path: url.pathname, reason }, 'agent connection refused');
      refuseAgent(socket, status, reason);
    };
    if (this.closed) return fail(503, 'shutting_down', 'controller shutting down');
    const token = bearerToken(req, url);
    if (typeof token !== 'string') return fail(token.status, token.code, token.reason);
    const auth = await checkToken(token, this.authenticate, remoteAddress ? { remoteAddress } : {});
    if (!auth.ok && auth.cause !== undefined) {
      this.log.error({ err: auth.cause }, 'agent authentication errored');
      return fail(auth.status, auth.code, auth.reason);
    }
    if (socket.destroyed) return;
    if (this.closed) return fail(503, 'shutting_down', 'controller shutting down');
    if (!auth.ok) return fail(auth.status, auth.code, auth.reason);

    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onSocketError);
      try { this.onConnection(ws, auth, remoteAddress); } catch (err) {
        this.log.error({ err }, 'agent session setup failed');
        try { ws.terminate(); } catch { /* gone */ }
      }
    });
  }

  // ---------------------------------------------------------------- connections

  private onConnection(ws: WebSocket, auth: Authenticated, remoteAddress: string | undefined): void {
    const c = new AgentConnection(ws, auth, remoteAddress, this.connectionHost);
    this.open.add(c);
    void c.socketClosed.then(() => this.open.delete(c));
    const previous = this.byHost.get(c.hostKey);
    this.byHost.set(c.hostKey, c);
    if (previous) {
      this.mSuperseded.inc();
      this.log.warn({ host: c.hostKey, previous: previous.id, session: c.id, remoteAddress, previousRemoteAddress: previous.remoteAddress },
        'second agent connection for host supersedes the first');
      this.fire('conflict', c.hostKey, { previous: previous.info(), ...(remoteAddress ? { remoteAddress } : {}) });
      previous.close(CLOSE.superseded, 'superseded by a newer connection');
    }
    this.log.info({ host: c.hostKey, session: c.id, tokenUid: c.tokenUid, remoteAddress }, 'agent authenticated; awaiting hello');
    c.start(auth.expiresAt);
  }

  /** A ready agent's frame → its notification. */
  private report(hostKey: string, frame: AgentReport): void {
    switch (frame.type) {
      case 'observed': return this.fire('observed', hostKey, frame);
      case 'result': return this.fire('result', hostKey, frame);
      case 'log': return this.fire('log', hostKey, frame);
      case 'logEnd': return this.fire('logEnd', hostKey, frame);
      case 'execOutput':
      case 'execEnd':
      case 'execCredit': return this.fire('exec', hostKey, frame);
      case 'stats': return this.fire('stats', hostKey, frame);
      case 'error': return this.fire('agentError', hostKey, frame);
    }
  }

  /** Emit without letting a listener's exception escape into a socket handler. */
  private fire<K extends keyof HubNotifications>(event: K, ...args: HubNotifications[K]): void {
    try {
      (this.emit as (e: K, ...a: HubNotifications[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ event, err }, 'agent hub listener threw');
    }
  }
}
