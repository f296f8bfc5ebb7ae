// The Host-header allowlist (issue 12, DNS rebinding). A page on attacker.example can make a
// browser resolve attacker.example to 127.0.0.1 and then read our loopback API as "its own origin";
// the only trace of that is the Host header, which still says attacker.example. So every request and
// every WebSocket upgrade (page, API, page feed, log socket, exec socket, agent endpoint) must name
// one of the controller's own names, or it is answered 421 Misdirected Request before any handler
// runs (only /healthz and /readyz, which show no data, answer any Host). Allowed: the loopback names, the literal address the controller listens on (an IP literal
// cannot be rebound), the host of --agent-url, and every --public-name. Pure: no I/O.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { refuseUpgrade } from '../lib/refuse-upgrade.js';

/** Names that always reach only this machine. `*.localhost` is loopback by RFC 6761 and browsers resolve it so. */
const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const PROBES = new Set(['/healthz', '/readyz']);

export interface HostAllowlistOptions {
  /** Names (DNS names or IP literals, no port) the controller is reached under: --public-name. */
  publicNames?: readonly string[];
  /** The address it listens on; a specific IP literal is allowed (0.0.0.0 and :: are not names). */
  listenHost?: string;
  /** The address of the separate agent listener (--agent-listen), likewise. */
  agentListenHost?: string;
  /** The URL agents dial (--agent-url): its host is allowed, or agents would be refused. */
  agentUrl?: string;
}

/** The host part of a Host header, lower-cased, without port or IPv6 brackets; undefined if malformed. */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const m = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(h);
    return m ? m[1] : undefined;
  }
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, '') : undefined;
}

/** Check a --public-name value: a DNS name or an IP literal, no scheme, port or path. */
export function checkPublicName(name: string): string | undefined {
  const n = name.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (isIP(n)) return undefined;
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(n)) {
    return `--public-name "${name}": give a DNS name or an IP address, without scheme, port or path (e.g. berth.example.org)`;
  }
  return undefined;
}

export class HostAllowlist {
  private readonly names: ReadonlySet<string>;

  constructor(opts: HostAllowlistOptions = {}) {
    const names = new Set(LOOPBACK);
    for (const n of opts.publicNames ?? []) names.add(n.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, ''));
    for (const listen of [opts.listenHost?.toLowerCase(), opts.agentListenHost?.toLowerCase()]) {
      if (listen && isIP(listen) && listen !== '0.0.0.0' && listen !== '::') names.add(listen);
    }
    if (opts.agentUrl) {
      try { const h = hostOf(new URL(opts.agentUrl).host); if (h) names.add(h); } catch { /* checked by the CLI */ }
    }
    this.names = names;
  }

  /** The allowed names, for the refusal message and the start-up log. */
  get allowed(): string[] { return [...this.names]; }

  allows(hostHeader: string | undefined): boolean {
    const h = hostOf(hostHeader);
    if (h === undefined) return false;
    return this.names.has(h) || h.endsWith('.localhost');
  }

  private message(hostHeader: string | undefined): string {
    const shown = (hostHeader ?? '(none)').replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
    return `this controller does not answer to the name "${shown}" (Host header): it answers to ${this.allowed.join(', ')}; `
      + 'add the name you use with --public-name (a page under another name could be a DNS-rebinding attack)';
  }

  /**
   * For the HTTP server: true if the request may go on; otherwise it has been answered 421. The
   * liveness and readiness probes are exempt: kubelet and load balancers probe by IP, and their
   * answer ("ok", or why not ready) is no data worth rebinding for.
   */
  checkRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.allows(req.headers.host) || PROBES.has(req.url ?? '')) return true;
    const body = JSON.stringify({ error: 'MisdirectedRequest', message: this.message(req.headers.host) });
    res.writeHead(421, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', Connection: 'close' });
    res.end(body);
    return false;
  }

  /** For the upgrade router: true if the handshake may go on; otherwise it has been refused 421. */
  checkUpgrade(req: IncomingMessage, socket: Duplex): boolean {
    if (this.allows(req.headers.host)) return true;
    refuseUpgrade(socket, 421, { error: 'MisdirectedRequest', message: this.message(req.headers.host) });
    return false;
  }
}
