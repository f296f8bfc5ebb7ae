// One `upgrade` listener for the controller's HTTP server, routing WebSocket handshakes by path
// (the agent endpoint, the log socket). Several listeners each answering "404" for paths they do
// not own would race to write on the same socket; here exactly one handler, or the 404, answers.
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export class UpgradeRouter {
  private readonly routes = new Map<string, UpgradeHandler>();

  constructor(private readonly server: Server) { server.on('upgrade', this.onUpgrade); }

  route(path: string, handler: UpgradeHandler): void {
    if (this.routes.has(path)) throw new Error(`an upgrade handler for ${path} is already registered`);
    this.routes.set(path, handler);
  }

  close(): void { this.server.off('upgrade', this.onUpgrade); }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let path: string;
    try { path = new URL(req.url ?? '/', 'http://upgrade.invalid').pathname; } catch { path = ''; }
    const handler = this.routes.get(path);
    if (handler) { handler(req, socket, head); return; }
    refuseUpgrade(socket, 404, { error: 'NotFound', message: `no WebSocket endpoint at ${path.slice(0, 200)}` });
  };
}

/** Answer a handshake with a plain HTTP response (JSON body) instead of upgrading, then drop the socket. */
export function refuseUpgrade(socket: Duplex, status: number, body: { error: string; message: string }, extraHeaders: string[] = []): void {
  if (socket.destroyed) return;
  socket.on('error', () => { /* the peer left while we answer */ });
  const text = JSON.stringify({ error: body.error, message: body.message.replace(/[\r\n]+/g, ' ').slice(0, 1024) });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    `Content-Length: ${Buffer.byteLength(text)}`,
    ...extraHeaders,
  ].join('\r\n');
  socket.once('finish', () => socket.destroy());
  const t = setTimeout(() => socket.destroy(), 1000);
  t.unref();
  socket.end(`${head}\r\n\r\n${text}`);
}
