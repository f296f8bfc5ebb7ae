// The controller's half of `berth exec`: one ExecSession per exec id, between an operator's socket
// (an ExecSink: exec-socket.ts) and the host's agent connection (the hub), with the flow control of
// protocol/exec.ts. Output is credited back to the agent only once the operator's socket has drained
// below LOW_WATER_BYTES, so a slow terminal holds at most one window per exec here; stdin from the
// operator is paused at the socket while a window of it waits for the agent's credit.
// It knows neither WebSockets nor HTTP: the hub is an ExecHub, the operator an ExecSink.
import { randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { EXEC_CHUNK_BYTES, EXEC_WINDOW_BYTES } from '../../protocol/exec.js';
import type { ControllerFrame, ExecCreditFrame, ExecEndFrame, ExecOutputFrame, ExecStartFrame } from '../../protocol/frames.js';
import type { HubNotifications } from '../hub/hub.js';

/** What the relay needs from the agent hub (AgentHub fits). */
export interface ExecHub {
  send(hostKey: string, frame: ControllerFrame): boolean;
  isConnected(hostKey: string): boolean;
  on<K extends keyof HubNotifications>(event: K, listener: (...args: HubNotifications[K]) => void): unknown;
  off<K extends keyof HubNotifications>(event: K, listener: (...args: HubNotifications[K]) => void): unknown;
}

export interface ExecResult { exitCode?: number; error?: { code: string; message: string } }

/** The operator's end of one exec. */
export interface ExecSink {
  output(stream: 'out' | 'err', data: Buffer): void;
  /** Bytes queued on the operator's socket and not yet written out. */
  bufferedAmount(): number;
  /** Stop (true) or resume (false) reading the operator's stdin. */
  pauseInput(paused: boolean): void;
  /** The exec is over (called once). */
  ended(result: ExecResult): void;
}

export interface ExecHandle {
  readonly id: string;
  input(data: Buffer): void;
  eof(): void;
  resize(rows: number, cols: number): void;
  /** The operator went away: the agent drops the exec; ended() is not called. */
  cancel(): void;
}

export type ExecStart = Omit<ExecStartFrame, 'type' | 'id'>;

/** Below this many bytes on the operator's socket, received output is credited back to the agent. */
export const LOW_WATER_BYTES = 256 * 1024;
const CREDIT_POLL_MS = 10;

interface Session {
  id: string;
  hostKey: string;
  sink: ExecSink;
  /** Output received and not yet credited back. */
  uncredited: number;
  /** Stdin sent and not yet credited by the agent. */
  inFlight: number;
  inputPaused: boolean;
  timer?: NodeJS.Timeout;
}

export class ExecRelay {
  private readonly sessions = new Map<string, Session>();
  private readonly log: Logger;
  private readonly listeners: { [K in keyof HubNotifications]?: (...args: HubNotifications[K]) => void } = {
    exec: (hostKey, frame) => this.onFrame(hostKey, frame),
    disconnected: (hostKey, reason) => {
      for (const s of [...this.sessions.values()]) if (s.hostKey === hostKey) this.finish(s, { error: { code: 'AgentDisconnected', message: `the agent disconnected (${reason})` } });
    },
    agentError: (hostKey, frame) => {
      const s = frame.id ? this.sessions.get(frame.id) : undefined;
      // An agent older than exec answers `execStart` with unknown_type.
      if (s && s.hostKey === hostKey) this.finish(s, { error: { code: 'AgentRefused', message: frame.code === 'unknown_type' ? 'this agent does not support exec (upgrade it)' : `the agent refused the exec: ${frame.message}` } });
    },
  };

  constructor(private readonly hub: ExecHub, logger?: Logger) {
    this.log = (logger ?? pino({ level: 'silent' })).child({ component: 'exec' });
    for (const [event, fn] of Object.entries(this.listeners)) this.hub.on(event as keyof HubNotifications, fn as never);
  }

  get size(): number { return this.sessions.size; }

  /** Start an exec on HOSTKEY's agent; undefined (and nothing sent) when the agent is not connected. */
  open(hostKey: string, start: ExecStart, sink: ExecSink): ExecHandle | undefined {
    if (!this.hub.isConnected(hostKey)) return undefined;
    const s: Session = { id: randomUUID(), hostKey, sink, uncredited: 0, inFlight: 0, inputPaused: false };
    if (!this.hub.send(hostKey, { type: 'execStart', id: s.id, ...start })) return undefined;
    this.sessions.set(s.id, s);
    return {
      id: s.id,
      input: (data) => this.input(s, data),
      eof: () => { if (this.sessions.has(s.id)) this.hub.send(hostKey, { type: 'execInput', id: s.id, eof: true }); },
      resize: (rows, cols) => { if (this.sessions.has(s.id)) this.hub.send(hostKey, { type: 'execResize', id: s.id, rows, cols }); },
      cancel: () => {
        if (!this.sessions.has(s.id)) return;
        this.hub.send(hostKey, { type: 'execCancel', id: s.id });
        this.drop(s);
      },
    };
  }

  /** End every exec (controller shutting down). */
  close(): void {
    for (const s of [...this.sessions.values()]) {
      this.hub.send(s.hostKey, { type: 'execCancel', id: s.id });
      this.finish(s, { error: { code: 'ShuttingDown', message: 'the controller is shutting down' } });
    }
    for (const [event, fn] of Object.entries(this.listeners)) this.hub.off(event as keyof HubNotifications, fn as never);
  }

  private input(s: Session, data: Buffer): void {
    if (!this.sessions.has(s.id)) return;
    for (let at = 0; at < data.length; at += EXEC_CHUNK_BYTES) {
      const piece = data.subarray(at, at + EXEC_CHUNK_BYTES);
      s.inFlight += piece.length;
      this.hub.send(s.hostKey, { type: 'execInput', id: s.id, data: piece.toString('base64') });
    }
    if (s.inFlight >= EXEC_WINDOW_BYTES && !s.inputPaused) { s.inputPaused = true; s.sink.pauseInput(true); }
  }

  private onFrame(hostKey: string, frame: ExecOutputFrame | ExecEndFrame | ExecCreditFrame): void {
    const s = this.sessions.get(frame.id);
    // Another host's agent cannot write into this exec; a stray (cancelled) one is dropped.
    if (!s || s.hostKey !== hostKey) return;
    switch (frame.type) {
      case 'execOutput': {
        const data = Buffer.from(frame.data, 'base64');
        s.uncredited += data.length;
        // The agent may overshoot the window by what one Docker read held; far beyond is a broken agent.
        if (s.uncredited > 2 * EXEC_WINDOW_BYTES + EXEC_CHUNK_BYTES) {
          this.hub.send(hostKey, { type: 'execCancel', id: s.id });
          this.finish(s, { error: { code: 'ProtocolError', message: 'the agent sent more output than it was credited' } });
          return;
        }
        s.sink.output(frame.stream, data);
        this.credit(s);
        return;
      }
      case 'execCredit':
        s.inFlight = Math.max(0, s.inFlight - frame.bytes);
        if (s.inputPaused && s.inFlight < EXEC_WINDOW_BYTES) { s.inputPaused = false; s.sink.pauseInput(false); }
        return;
      case 'execEnd':
        this.finish(s, { ...(frame.exitCode !== undefined ? { exitCode: frame.exitCode } : {}), ...(frame.error ? { error: frame.error } : {}) });
    }
  }

  /** Credit received output once the operator's socket has drained (polling while it has not). */
  private credit(s: Session): void {
    if (s.timer || s.uncredited === 0 || !this.sessions.has(s.id)) return;
    if (s.sink.bufferedAmount() >= LOW_WATER_BYTES) {
      s.timer = setTimeout(() => { s.timer = undefined; this.credit(s); }, CREDIT_POLL_MS);
      return;
    }
    while (s.uncredited > 0) {
      const bytes = Math.min(s.uncredited, EXEC_WINDOW_BYTES);
      s.uncredited -= bytes;
      this.hub.send(s.hostKey, { type: 'execCredit', id: s.id, bytes });
    }
  }

  private finish(s: Session, result: ExecResult): void {
    if (!this.sessions.has(s.id)) return;
    this.drop(s);
    this.log.info({ host: s.hostKey, id: s.id, ...result }, 'exec ended');
    try { s.sink.ended(result); } catch (err) { this.log.warn({ err: (err as Error).message }, 'exec sink failed'); }
  }

  private drop(s: Session): void {
    clearTimeout(s.timer);
    this.sessions.delete(s.id);
  }
}
