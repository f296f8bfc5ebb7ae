// One `upgrade` listener for the controller's HTTP server, routing WebSocket handshakes by path
// (the agent endpoint, the log socket). Several listeners each answering "404" for paths they do
// not own would race to write on the same socket; here exactly one handler, or the 404, answers.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { refuseUpgrade } from '../lib/refuse-upgrade.js';

// Every refusal of an upgrade (here, the agent endpoint's, the log socket's) has one format.
export { refuseUpgrade };

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** Runs before any route; false means it has already refused the handshake (the Host allowlist). */
export type UpgradeGuard = (req: IncomingMessage, socket: Duplex) => boolean;

export class UpgradeRouter {
  private readonly routes = new Map<string, UpgradeHandler>();

  constructor(private readonly server: Server, private readonly guard?: UpgradeGuard) { server.on('upgrade', this.onUpgrade); }

  route(path: string, handler: UpgradeHandler): void {
    if (this.routes.has(path)) throw new Error(`an upgrade handler for ${path} is already registered`);
    this.routes.set(path, handler);
  }

  close(): void { this.server.off('upgrade', this.onUpgrade); }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (this.guard && !this.guard(req, socket)) return;
    let path: string;
    try { path = new URL(req.url ?? '/', 'http://upgrade.invalid').pathname; } catch { path = ''; }
    const handler = this.routes.get(path);
    if (handler) { handler(req, socket, head); return; }
    refuseUpgrade(socket, 404, { error: 'NotFound', message: `no WebSocket endpoint at ${path.slice(0, 200)}` });
  };
}
