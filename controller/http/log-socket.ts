// The browser's log socket, `GET /api/v1/logs/ws?namespace=&host=&container=&tail=` (a WebSocket).
// Every refusal happens BEFORE the upgrade, as a plain HTTP response with a JSON {error, message}:
// 400 bad query (naming the parameter) → 403 foreign Origin → 401/403 from AccessControl → 404
// host or container not declared (after access, so existence is not revealed to the unauthorized).
// Once upgraded the socket is a viewer of the fan-out; the browser sends nothing (ignored), the
// server pings every 30 s and drops a socket that did not answer the previous ping. Access is asked
// again every 30 s too (Kubernetes mode caches decisions ~10 s): a viewer whose RBAC grant was
// revoked, or whose session expired, gets an `error` frame and close 1008 — a log tail that stays
// open forever would outlive the permission that opened it.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { CLOSE } from '../../protocol/frames.js';
import { LOGS_WS_PATH } from '../../protocol/log-viewer.js';
import type { LogFanout, LogSubscription, LogTarget } from '../logs/fanout.js';
import { anonymousAccess, type AccessControl } from './access.js';
import { originAllowed, parseLogQuery } from './log-query.js';
import { refuseUpgrade } from './upgrade-router.js';

export { LOGS_WS_PATH };

export interface LogSocketOptions {
  fanout: LogFanout;
  /** The containers declared for host NAMESPACE/HOST, or undefined when the host is not declared. */
  containersOf: (namespace: string, host: string) => readonly string[] | undefined;
  /** Default `anonymousAccess` (directory mode on loopback). */
  access?: AccessControl;
  logger?: Logger;
  /** Default 30 s. */
  pingIntervalMs?: number;
  /** Viewer sockets at once (default 1000); more get 503. */
  maxViewers?: number;
  /** How often an open viewer's access is asked again (default 30 s). */
  accessRecheckMs?: number;
}

export class LogSocket {
  readonly path = LOGS_WS_PATH;
  private readonly access: AccessControl;
  private readonly log: Logger;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: false });
  private readonly sockets = new Set<WebSocket>();
  private closed = false;

  constructor(private readonly opts: LogSocketOptions) {
    this.access = opts.access ?? anonymousAccess;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'log-socket' });
  }

  /** An UpgradeHandler for LOGS_WS_PATH. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'log socket error before upgrade'));
    this.upgrade(req, socket, head).catch((err: unknown) => {
      this.log.error({ err: (err as Error)?.message }, 'log socket upgrade failed');
      refuseUpgrade(socket, 500, { error: 'InternalError', message: 'internal error' });
    });
  };

  /** Close every viewer with 1001 and stop accepting new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sockets].map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      try { ws.close(CLOSE.shuttingDown, 'controller shutting down'); } catch { /* gone */ }
      const t = setTimeout(() => { try { ws.terminate(); } catch { /* gone */ } resolve(); }, 1000);
      t.unref();
    })));
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://logs.invalid');
    const refuse = (status: number, error: string, message: string) => {
      this.log.info({ status, path: url.pathname, remoteAddress: req.socket.remoteAddress, message }, 'log socket refused');
      refuseUpgrade(socket, status, { error, message });
    };
    if (this.closed) return refuse(503, 'ServiceUnavailable', 'the controller is shutting down');
    if (req.method !== 'GET') return refuse(405, 'MethodNotAllowed', 'the log socket is opened with GET');
    const parsed = parseLogQuery(url.searchParams);
    if (!parsed.ok) return refuse(400, 'BadRequest', parsed.message);
    const q = parsed.query;
    if (!originAllowed(req.headers.origin, req.headers.host)) {
      return refuse(403, 'Forbidden', `cross-origin WebSocket refused: Origin ${String(req.headers.origin).slice(0, 200)} does not match this server (${String(req.headers.host).slice(0, 200)})`);
    }
    const decision = await this.access.check(req, { resource: 'containerhosts', subresource: 'logs', namespace: q.namespace, name: q.host });
    if (!decision.allowed) return refuse(decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', decision.message);
    const containers = this.opts.containersOf(q.namespace, q.host);
    if (!containers) return refuse(404, 'NotFound', `ContainerHost ${q.namespace}/${q.host} not found`);
    if (!containers.includes(q.container)) return refuse(404, 'NotFound', `container ${q.container} is not declared on ContainerHost ${q.namespace}/${q.host}`);
    if (this.sockets.size >= (this.opts.maxViewers ?? 1000)) return refuse(503, 'ServiceUnavailable', 'too many log viewers; retry later');
    if (socket.destroyed || this.closed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      try { this.onViewer(ws, q, q.tail, decision.user, req); } catch (err) {
        this.log.error({ err: (err as Error)?.message }, 'log viewer setup failed');
        ws.terminate();
      }
    });
  }

  private onViewer(ws: WebSocket, target: LogTarget, tail: number, user: string, req: IncomingMessage): void {
    this.sockets.add(ws);
    this.log.debug({ ...target, tail, user }, 'log viewer connected');
    let sub: LogSubscription | undefined;
    let alive = true;
    let checking = false;
    const recheck = setInterval(() => {
      if (checking || ws.readyState !== WebSocket.OPEN) return;
      checking = true;
      this.access.check(req, { resource: 'containerhosts', subresource: 'logs', namespace: target.namespace, name: target.host })
        .then((d) => {
          if (d.allowed || ws.readyState !== WebSocket.OPEN) return;
          this.log.info({ ...target, user, status: d.status }, 'log viewer closed: access revoked');
          ws.send(JSON.stringify({ type: 'error', code: d.status === 401 ? 'Unauthorized' : 'Forbidden', message: `access revoked: ${d.message}` }));
          ws.close(CLOSE.policyViolation, 'access revoked');
        })
        // An error asking (not a refusal) keeps the viewer: the next round asks again.
        .catch((err: unknown) => this.log.warn({ ...target, err: (err as Error)?.message }, 'log viewer access re-check failed'))
        .finally(() => { checking = false; });
    }, this.opts.accessRecheckMs ?? 30_000);
    recheck.unref();
    const ping = setInterval(() => {
      if (!alive) { ws.terminate(); return; }
      alive = false;
      try { ws.ping(); } catch { /* closing */ }
    }, this.opts.pingIntervalMs ?? 30_000);
    ping.unref();
    ws.on('pong', () => { alive = true; });
    ws.on('message', () => { alive = true; /* the browser has nothing to say; ignored */ });
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'log viewer socket error'));
    ws.on('close', () => {
      clearInterval(ping);
      clearInterval(recheck);
      this.sockets.delete(ws);
      sub?.close();
      this.log.debug({ ...target, user }, 'log viewer gone');
    });
    sub = this.opts.fanout.subscribe(target, tail, {
      send: (data) => { if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: false }); },
      bufferedAmount: () => ws.bufferedAmount,
      close: (code, reason) => { try { ws.close(code, reason); } catch { /* gone */ } },
    });
    // A socket closed during subscribe (the fan-out refused it) has already run its close handler.
    if (ws.readyState === WebSocket.CLOSED) sub.close();
  }
}
