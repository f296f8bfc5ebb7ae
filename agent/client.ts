// The agent's side of the protocol (DESIGN §3 "Connect", §4): dial out to the controller, say hello
// with a full inventory, execute `apply`/`remove` through the per-container serial executor, report
// `observed` after Docker events and on every resync, keep the connection honest with pings, and
// reconnect forever with full-jitter backoff. Everything received is validated; nothing a controller
// sends can throw out of here.
import { EventEmitter } from 'node:events';
import { silentLogger, type AgentLogger as Logger } from './logger.js';
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import type { AgentFacts } from '../protocol/container.js';
import { controllerFrameDecoder, type DecodeResult } from '../protocol/codec.js';
import { CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION, type AgentFrame, type ApplyFrame, type ControllerFrame, type LogsFrame, type RemoveFrame, type RestartFrame, type ResultFrame, type WelcomeFrame } from '../protocol/frames.js';
import { performAction } from './actions.js';
import { Backoff } from '../protocol/backoff.js';
import { closeVerdict } from './close-verdict.js';
import { dial } from './dial.js';
import { connectUrl } from './connect-url.js';
import { RefusedExecs, type ExecSessions } from './exec.js';
import { KeyedSerialQueue } from './executor.js';
import { UnsupportedLogStreams, type LogStreams } from './log-streams.js';
import { errorMessage, type ContainerRuntime, type Watch } from './runtime.js';
import { snapshot, type Snapshot } from './snapshot.js';
import type { StatsReporter } from './stats-reporter.js';

export { connectUrl } from './connect-url.js';

export interface AgentClientOptions {
  /** The controller's base URL (ws, wss, http or https); AGENT_CONNECT_PATH is appended unless present. */
  url: string;
  /** Read on every connect, so a rotated or re-issued token file is picked up without a restart. */
  token: () => string | Promise<string>;
  runtime: ContainerRuntime;
  agent: AgentFacts;
  log?: Logger;
  backoff?: Backoff;
  /** Least wait after the controller refused the token (401) or closed 4002/4003 (default 30 s). */
  refusedRetryMs?: number;
  /** Least wait after 4001: another agent is connected for this host; flapping helps nobody (60 s). */
  supersededRetryMs?: number;
  pingIntervalMs?: number;
  /** Pings without a pong before the socket is given up (default 2). */
  maxMissedPongs?: number;
  handshakeTimeoutMs?: number;
  /** Longest wait for Docker facts + inventory before hello/observed go out saying Docker is not answering (5 s). */
  snapshotTimeoutMs?: number;
  /** Until `welcome` says otherwise (default 300 s). */
  resyncSeconds?: number;
  executor?: KeyedSerialQueue;
  logs?: LogStreams;
  /** `berth exec` (default: refused — the agent's owner enables it with --allow-exec). */
  execs?: ExecSessions;
  /** Container resource samples while connected (absent: none are sent). */
  stats?: StatsReporter;
  /** Extra ws client options (e.g. `ca` for a private wss certificate). */
  wsOptions?: ClientOptions;
}

export interface AgentClientStats {
  connects: number;
  invalidFrames: number;
  actions: number;
  failedActions: number;
}

export interface DisconnectInfo { code: number; reason: string; httpStatus?: number; delayMs: number }

/**
 * Events (for tests and the CLI): 'connected', 'hello', 'welcome' (frame), 'disconnected'
 * (DisconnectInfo), 'invalidFrame' (code), 'stopped'.
 */
export class AgentClient extends EventEmitter {
  readonly stats: AgentClientStats = { connects: 0, invalidFrames: 0, actions: 0, failedActions: 0 };
  private readonly opts: AgentClientOptions;
  private readonly endpoint: string;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly executor: KeyedSerialQueue;
  private readonly logs: LogStreams;
  private readonly execs: ExecSessions;
  private readonly decoder = controllerFrameDecoder();

  private ws: WebSocket | undefined;
  private helloSent = false;
  private welcomeFrame: WelcomeFrame | undefined;
  private started = false;
  private stopping = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private missedPongs = 0;
  private watcher: Watch | undefined;
  private observing = false;
  private observeAgain = false;
  private stoppedPromise: Promise<void> | undefined;

  constructor(opts: AgentClientOptions) {
    super();
    this.opts = opts;
    this.endpoint = connectUrl(opts.url);
    this.log = opts.log ?? silentLogger;
    this.backoff = opts.backoff ?? new Backoff();
    this.executor = opts.executor ?? new KeyedSerialQueue();
    this.logs = opts.logs ?? new UnsupportedLogStreams();
    this.execs = opts.execs ?? new RefusedExecs();
  }

  /** Whether a socket is open and `hello` went out on it. */
  get connected(): boolean { return this.helloSent && this.ws?.readyState === WebSocket.OPEN; }

  /** The last `welcome` of the current connection. */
  get welcome(): WelcomeFrame | undefined { return this.welcomeFrame; }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.watcher = this.opts.runtime.watch(() => { void this.sendObserved(); });
    void this.connect();
  }

  /**
   * Graceful shutdown (SIGTERM): refuse new actions, let in-flight ones finish (at most TIMEOUT_MS)
   * so their results reach the controller, then close with 1001. Resolves when the socket is closed.
   */
  stop(timeoutMs = 30_000): Promise<void> {
    this.stoppedPromise ??= (async () => {
      this.stopping = true;
      clearTimeout(this.reconnectTimer);
      this.watcher?.close();
      if (this.executor.size > 0) {
        this.log.info({ inFlight: this.executor.size }, 'shutting down: waiting for in-flight actions');
        if (!await this.executor.drain(timeoutMs)) this.log.warn({ inFlight: this.executor.size, timeoutMs }, 'shutting down with actions still in flight; the controller will re-plan them');
      }
      this.logs.closeAll();
      this.execs.closeAll();
      const ws = this.ws;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.shuttingDown, 'agent shutting down');
        else ws.terminate();
        const timer = setTimeout(() => ws.terminate(), 2_000);   // a controller that never answers the close
        await closed;
        clearTimeout(timer);
      }
      this.clearConnectionTimers();
      this.log.info('agent stopped');
      this.emit('stopped');
    })();
    return this.stoppedPromise;
  }

  // ---- connection lifecycle

  private async connect(): Promise<void> {
    if (this.stopping) return;
    let token: string;
    try {
      token = (await this.opts.token()).trim();
      if (!token) throw new Error('the token is empty');
    } catch (err) {
      this.scheduleReconnect({ code: 0, reason: `cannot read the agent token: ${errorMessage(err)}` }, this.opts.refusedRetryMs ?? 30_000);
      return;
    }
    if (this.stopping) return;
    this.log.debug({ url: this.endpoint }, 'connecting to the controller');
    let ws: WebSocket;
    try {
      ws = dial(this.endpoint, token, this.opts, {
        open: () => this.onOpen(ws),
        message: (data, isBinary) => this.onMessage(ws, data, isBinary),
        pong: () => { this.missedPongs = 0; },
        close: (code, reason, httpStatus) => this.onClose(ws, code, reason, httpStatus),
      });
    } catch (err) {
      this.scheduleReconnect({ code: 0, reason: `cannot open the connection: ${errorMessage(err)}` }, this.opts.refusedRetryMs ?? 30_000);
      return;
    }
    this.ws = ws;
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.stats.connects++;
    this.backoff.connected();
    this.missedPongs = 0;
    this.log.info({ url: this.endpoint }, 'connected to the controller');
    this.emit('connected');
    // We ping too (the controller pings as well): a half-open TCP connection, e.g. after a NAT
    // timeout, is otherwise only noticed when the kernel gives up, minutes later.
    this.pingTimer = setInterval(() => {
      if (this.missedPongs >= (this.opts.maxMissedPongs ?? 2)) {
        this.log.warn({ missedPongs: this.missedPongs }, 'the controller stopped answering pings; reconnecting');
        ws.terminate();
        return;
      }
      this.missedPongs++;
      try { ws.ping(); } catch { /* closing; the close handler reconnects */ }
    }, this.opts.pingIntervalMs ?? 15_000);
    void this.sendHello(ws);
  }

  private async sendHello(ws: WebSocket): Promise<void> {
    const { docker, containers } = await this.snapshot();
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    this.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, agent: this.opts.agent, docker, containers });
    this.helloSent = true;
    this.log.info({ containers: containers.length, docker: docker.ok ? docker.version : `unavailable: ${docker.error}` }, 'hello sent');
    this.emit('hello');
    this.armResync();
    this.opts.stats?.start((f) => { if (this.ws === ws) this.send(f); });
  }

  private onClose(ws: WebSocket, code: number, reason: string, httpStatus: number | undefined): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.helloSent = false;
    this.welcomeFrame = undefined;
    this.clearConnectionTimers();
    this.logs.closeAll();
    this.execs.closeAll();
    this.backoff.disconnected();
    if (this.stopping) return;

    const verdict = closeVerdict(code, reason, httpStatus, { refusedMs: this.opts.refusedRetryMs ?? 30_000, supersededMs: this.opts.supersededRetryMs ?? 60_000 });
    this.log[verdict.level]({ code, reason, url: this.endpoint, ...verdict.fields }, verdict.message);
    this.scheduleReconnect({ code, reason, ...(httpStatus !== undefined ? { httpStatus } : {}) }, verdict.floorMs);
  }

  private scheduleReconnect(info: Omit<DisconnectInfo, 'delayMs'>, floorMs: number): void {
    if (this.stopping) return;
    const delayMs = Math.max(this.backoff.next(), floorMs);
    if (info.code === 0) this.log.error({ delayMs }, info.reason);
    this.log.debug({ delayMs }, 'reconnecting later');
    this.emit('disconnected', { ...info, delayMs } satisfies DisconnectInfo);
    this.reconnectTimer = setTimeout(() => { void this.connect(); }, delayMs);
  }

  private clearConnectionTimers(): void {
    this.opts.stats?.stop();
    clearInterval(this.pingTimer);
    clearInterval(this.resyncTimer);
    this.pingTimer = undefined;
    this.resyncTimer = undefined;
  }

  private armResync(): void {
    clearInterval(this.resyncTimer);
    const seconds = this.welcomeFrame?.resyncSeconds ?? this.opts.resyncSeconds ?? 300;
    this.resyncTimer = setInterval(() => { void this.sendObserved(); }, seconds * 1000);
  }

  // ---- frames

  private send(frame: AgentFrame): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(frame);
    if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
      this.log.error({ type: frame.type, bytes: Buffer.byteLength(text) }, 'frame too large for the protocol; not sent');
      return;
    }
    ws.send(text);
  }

  private onMessage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (ws !== this.ws) return;
    const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    let decoded: DecodeResult<ControllerFrame>;
    try {
      decoded = isBinary
        ? { ok: false, code: 'invalid', message: 'binary frames are not part of the protocol (JSON text frames only)' }
        : this.decoder.decode(raw);
    } catch {
      // decode() promises not to throw; should it ever, an exception here would escape ws's
      // 'message' event and end the agent process, so a bad frame stays an invalid frame.
      decoded = { ok: false, code: 'invalid', message: 'a frame must be a JSON object with a "type"' };
    }
    if (!decoded.ok) {
      this.stats.invalidFrames++;
      this.log.warn({ code: decoded.code, message: decoded.message }, 'invalid frame from the controller');
      this.send({ type: 'error', ...('id' in decoded && decoded.id ? { id: decoded.id } : {}), code: decoded.code, message: decoded.message.slice(0, 8192) });
      this.emit('invalidFrame', decoded.code);
      return;
    }
    try {
      this.dispatch(decoded.frame);
    } catch (err) {
      // A bug of ours must not take the connection down; report it to the controller.
      this.log.error({ err: errorMessage(err), type: decoded.frame.type }, 'handling a frame failed');
      this.send({ type: 'error', code: 'internal', message: `agent failed to handle ${decoded.frame.type}: ${errorMessage(err)}`.slice(0, 8192) });
    }
  }

  private dispatch(frame: ControllerFrame): void {
    switch (frame.type) {
      case 'welcome': return this.onWelcome(frame);
      case 'apply': return this.onAction(frame);
      case 'remove': return this.onAction(frame);
      case 'restart': return this.onAction(frame);
      case 'execStart': {
        const ws = this.ws;
        return this.execs.start(frame, (f) => { if (this.ws === ws) this.send(f); });
      }
      case 'execInput': return this.execs.input(frame);
      case 'execResize': return this.execs.resize(frame);
      case 'execCredit': return this.execs.credit(frame);
      case 'execCancel': return this.execs.cancel(frame);
      case 'logs': return this.openLogs(frame);
      case 'logsCancel': return this.logs.cancel(frame);
      case 'error':
        // Never answered: two peers replying to each other's errors would loop.
        if (frame.code === 'unknown_type' && frame.message.includes('"stats"') && this.opts.stats) {
          // A controller older than stats (agents upgraded first): stop sending them on this connection.
          this.opts.stats.stop();
          this.log.info('the controller does not take stats frames (an older version); not sending them until the next connection');
          return;
        }
        this.log.warn({ id: frame.id, code: frame.code, message: frame.message }, 'the controller reported an error');
        return;
    }
  }

  /**
   * Log frames go out on the socket the request came in on (a stream never outlives its connection:
   * closeAll runs on close), and the streamer watches that socket's bufferedAmount to pause Docker.
   */
  private openLogs(frame: LogsFrame): void {
    const ws = this.ws;
    if (!ws) return;
    this.logs.open(frame, (f) => { if (this.ws === ws) this.send(f); }, { bufferedAmount: () => ws.bufferedAmount });
  }

  private onWelcome(frame: WelcomeFrame): void {
    this.welcomeFrame = frame;
    const key = `${frame.host.namespace}/${frame.host.name}`;
    if (key !== this.opts.runtime.hostKey) {
      this.log.error({ welcomeHost: key, tokenHost: this.opts.runtime.hostKey }, 'the controller welcomed this agent as a different host than its token names; containers are still filtered by the token\'s host');
    }
    if (frame.protocolVersion !== PROTOCOL_VERSION) this.log.warn({ theirs: frame.protocolVersion, ours: PROTOCOL_VERSION }, 'protocol version differs from the controller\'s');
    this.log.info({ host: key, resyncSeconds: frame.resyncSeconds }, 'welcomed by the controller');
    this.emit('welcome', frame);
    if (this.helloSent) this.armResync();
  }

  private onAction(frame: ApplyFrame | RemoveFrame | RestartFrame): void {
    if (this.stopping) {
      this.sendResult({ type: 'result', id: frame.id, ok: false, error: { code: 'ShuttingDown', message: 'the agent is shutting down; retry after it reconnects' } });
      return;
    }
    this.stats.actions++;
    performAction(frame, this.opts.runtime, this.executor, this.log, (result) => {
      if (!result.ok) this.stats.failedActions++;
      this.sendResult(result);
    });
  }

  private sendResult(frame: ResultFrame): void {
    // A result whose connection is gone is dropped: the next hello carries the full inventory and
    // the controller re-plans from it (level-triggered), so nothing is lost but a round trip.
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) this.log.debug({ id: frame.id }, 'result dropped: not connected');
    this.send(frame);
  }

  // ---- inventory

  /** Facts and inventory, bounded in time (snapshot.ts). */
  private snapshot(): Promise<Snapshot> { return snapshot(this.opts.runtime, this.opts.snapshotTimeoutMs ?? 5_000); }

  /** Send the full inventory; single-flight, and a request during a send triggers one more. */
  private async sendObserved(): Promise<void> {
    if (!this.connected) return;
    if (this.observing) { this.observeAgain = true; return; }
    this.observing = true;
    try {
      do {
        this.observeAgain = false;
        const { docker, containers } = await this.snapshot();
        if (this.connected) this.send({ type: 'observed', docker, containers });
      } while (this.observeAgain && this.connected);
    } finally {
      this.observing = false;
    }
  }
}
