// The operator's exec socket, `GET /api/v1/exec?namespace=&host=&container=` (a WebSocket; the
// framing is in protocol/exec.ts). Every refusal happens BEFORE the upgrade, as a plain HTTP
// response with a JSON {error, message}: 400 bad query → 403 a browser (any Origin: exec is for the
// CLI, never the page) → 401/403 from OperatorAccess (bearer header only; UI token or RBAC
// `create containerhosts/exec`) → 404 host or container not declared → 503 agent not connected.
// The command comes in the first message, not the URL (URLs end up in proxy logs). Each exec is
// recorded as an Event on the ContainerHost: who, which container, what command.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { EXEC_CHANNEL, EXEC_CHUNK_BYTES, EXEC_WS_PATH, type ExecClientMessage, type ExecServerMessage } from '../../protocol/exec.js';
import { CLOSE } from '../../protocol/frames.js';
import type { EventRecord } from '../store/store.js';
import { refuseUpgrade } from '../lib/refuse-upgrade.js';
import type { ExecHandle, ExecRelay, ExecStart } from './exec-relay.js';
import type { OperatorAccess } from './operator-access.js';

export interface ExecSocketOptions {
  relay: ExecRelay;
  access: OperatorAccess;
  /** The containers declared for host NAMESPACE/HOST, or undefined when the host is not declared. */
  containersOf: (namespace: string, host: string) => readonly string[] | undefined;
  isConnected: (hostKey: string) => boolean;
  recordEvent: (hostKey: string, event: EventRecord) => void;
  logger?: Logger;
  /** How long the CLI has to send `start` after the upgrade (default 10 s). */
  startTimeoutMs?: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Query = { namespace: string; host: string; container: string };

export function parseExecQuery(params: URLSearchParams): { ok: true; query: Query } | { ok: false; message: string } {
  const out: Record<string, string> = {};
  for (const [name, re, max] of [['namespace', DNS_LABEL, 63], ['host', DNS_SUBDOMAIN, 253], ['container', DNS_LABEL, 63]] as const) {
    const v = params.getAll(name);
    if (v.length !== 1 || !v[0]) return { ok: false, message: `query parameter "${name}" is required, once` };
    if (v[0].length > max || !re.test(v[0])) return { ok: false, message: `query parameter "${name}" must be a DNS name of at most ${max} characters` };
    out[name] = v[0];
  }
  return { ok: true, query: out as Query };
}

/** The `start` message, checked field by field (the agent checks the frame again). */
export function parseStart(text: string): { ok: true; start: ExecStart } | { ok: false; message: string } {
  let m: unknown;
  try { m = JSON.parse(text); } catch { return { ok: false, message: 'the first message must be a JSON start message' }; }
  const r = (m ?? {}) as Record<string, unknown>;
  if (r.type !== 'start') return { ok: false, message: 'the first message must be {"type":"start", ...}' };
  const cmd = r.cmd;
  if (!Array.isArray(cmd) || cmd.length < 1 || cmd.length > 256 || !cmd.every((a) => typeof a === 'string' && a.length <= 8192)) {
    return { ok: false, message: 'start.cmd must be 1 to 256 strings (the command and its arguments)' };
  }
  if (typeof r.tty !== 'boolean' || typeof r.stdin !== 'boolean') return { ok: false, message: 'start.tty and start.stdin must be booleans' };
  const dim = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 10000 ? v : undefined);
  const rows = dim(r.rows);
  const cols = dim(r.cols);
  return { ok: true, start: { container: '', cmd: cmd as string[], tty: r.tty, stdin: r.stdin, ...(rows && cols ? { rows, cols } : {}) } };
}

/** The command as the Event shows it: quoted where needed, bounded. */
export function commandText(cmd: readonly string[]): string {
  const text = cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return text.length > 512 ? `${text.slice(0, 509)}...` : text;
}

export class ExecSocket {
  readonly path = EXEC_WS_PATH;
  private readonly log: Logger;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: EXEC_CHUNK_BYTES + 1024, perMessageDeflate: false, clientTracking: false });
  private readonly sockets = new Set<WebSocket>();
  private closed = false;

  constructor(private readonly opts: ExecSocketOptions) {
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'exec-socket' });
  }

  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'exec socket error before upgrade'));
    this.upgrade(req, socket, head).catch((err: unknown) => {
      this.log.error({ err: (err as Error)?.message }, 'exec socket upgrade failed');
      refuseUpgrade(socket, 500, { error: 'InternalError', message: 'internal error' });
    });
  };

  close(): void {
    this.closed = true;
    for (const ws of this.sockets) { try { ws.close(CLOSE.shuttingDown, 'controller shutting down'); } catch { /* gone */ } }
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://exec.invalid');
    const refuse = (status: number, error: string, message: string) => {
      this.log.info({ status, remoteAddress: req.socket.remoteAddress, message }, 'exec refused');
      refuseUpgrade(socket, status, { error, message });
    };
    if (this.closed) return refuse(503, 'ServiceUnavailable', 'the controller is shutting down');
    if (req.method !== 'GET') return refuse(405, 'MethodNotAllowed', 'the exec socket is opened with GET');
    const parsed = parseExecQuery(url.searchParams);
    if (!parsed.ok) return refuse(400, 'BadRequest', parsed.message);
    const q = parsed.query;
    if (req.headers.origin !== undefined) return refuse(403, 'Forbidden', 'exec is for the berth CLI: browsers (any request with an Origin) cannot open it');
    const decision = await this.opts.access.check(req, 'exec', { namespace: q.namespace, name: q.host });
    if (!decision.allowed) return refuse(decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', decision.message);
    const key = `${q.namespace}/${q.host}`;
    const containers = this.opts.containersOf(q.namespace, q.host);
    if (!containers) return refuse(404, 'NotFound', `ContainerHost ${key} not found`);
    if (!containers.includes(q.container)) return refuse(404, 'NotFound', `container ${q.container} is not declared on ContainerHost ${key}`);
    if (!this.opts.isConnected(key)) return refuse(503, 'ServiceUnavailable', `the agent of ContainerHost ${key} is not connected`);
    if (socket.destroyed || this.closed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.session(ws, q, decision.user));
  }

  private session(ws: WebSocket, q: Query, user: string): void {
    this.sockets.add(ws);
    const key = `${q.namespace}/${q.host}`;
    let handle: ExecHandle | undefined;
    let over = false;
    const say = (m: ExecServerMessage) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); };
    const end = (m: ExecServerMessage) => {
      if (over) return;
      over = true;
      say(m);
      try { ws.close(CLOSE.normal, m.type === 'exit' ? 'exited' : 'failed'); } catch { /* gone */ }
    };
    const startTimer = setTimeout(() => end({ type: 'error', code: 'BadRequest', message: 'no start message within the time allowed' }), this.opts.startTimeoutMs ?? 10_000);
    startTimer.unref();
    let alive = true;
    const ping = setInterval(() => { if (!alive) { ws.terminate(); return; } alive = false; try { ws.ping(); } catch { /* closing */ } }, 30_000);
    ping.unref();
    ws.on('pong', () => { alive = true; });
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'exec socket error'));
    ws.on('close', () => {
      clearTimeout(startTimer);
      clearInterval(ping);
      this.sockets.delete(ws);
      if (!over) handle?.cancel();
      over = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      alive = true;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (over) return;
      if (!handle) {
        if (isBinary) return end({ type: 'error', code: 'BadRequest', message: 'the first message must be the JSON start message' });
        clearTimeout(startTimer);
        const p = parseStart(buf.toString('utf8'));
        if (!p.ok) return end({ type: 'error', code: 'BadRequest', message: p.message });
        const start = { ...p.start, container: q.container };
        handle = this.opts.relay.open(key, start, {
          output: (stream, bytes) => {
            if (ws.readyState !== WebSocket.OPEN) return;
            ws.send(Buffer.concat([Buffer.of(stream === 'out' ? EXEC_CHANNEL.stdout : EXEC_CHANNEL.stderr), bytes]), { binary: true });
          },
          bufferedAmount: () => ws.bufferedAmount,
          pauseInput: (paused) => { try { if (paused) ws.pause(); else ws.resume(); } catch { /* closing */ } },
          ended: (r) => end(r.error ? { type: 'error', code: r.error.code, message: r.error.message } : { type: 'exit', code: r.exitCode ?? 0 }),
        });
        if (!handle) return end({ type: 'error', code: 'AgentDisconnected', message: `the agent of ContainerHost ${key} is not connected` });
        this.log.info({ host: key, container: q.container, user, id: handle.id, tty: start.tty, stdin: start.stdin }, 'exec started');
        this.opts.recordEvent(key, { type: 'Normal', reason: 'Exec', message: `${user} ran in ${q.container}${start.tty ? ' (tty)' : ''}: ${commandText(start.cmd)}` });
        say({ type: 'started', user });
        return;
      }
      if (isBinary) {
        if (buf[0] === EXEC_CHANNEL.stdin && buf.length > 1) handle.input(buf.subarray(1));
        return;
      }
      let m: ExecClientMessage;
      try { m = JSON.parse(buf.toString('utf8')) as ExecClientMessage; } catch { return; }
      if (m.type === 'eof') handle.eof();
      else if (m.type === 'resize' && Number.isInteger(m.rows) && Number.isInteger(m.cols) && m.rows >= 1 && m.cols >= 1 && m.rows <= 10000 && m.cols <= 10000) handle.resize(m.rows, m.cols);
    });
  }
}
