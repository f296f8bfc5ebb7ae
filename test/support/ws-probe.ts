// The one WebSocket handshake probe: open a socket and report how the server answered — 101 and
// the open socket, or the refusal's HTTP status and body (0 when the connection itself failed).
// For "is this token / cookie / origin let in?" checks on the agent endpoint and the log socket.
import { WebSocket } from 'ws';

export interface Handshake {
  /** 101 when upgraded; the HTTP status of a refusal; 0 when no HTTP answer came. */
  status: number;
  /** The refusal's body (the one refusal format of http/upgrade-router.ts). */
  body?: string;
  /** The open socket when upgraded (closed already when `close: true`). */
  ws?: WebSocket;
}

/** URL may be http(s) or ws(s). HEADERS e.g. `{ Authorization: 'Bearer …' }` or `{ Cookie, Origin }`. */
export function handshake(url: string, headers: Record<string, string> = {}, opts: { close?: boolean } = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    ws.once('open', () => { if (opts.close) ws.close(); resolve({ status: 101, ws }); });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => resolve({ status: 0 }));
  });
}

/** A bearer token's handshake on the agent endpoint of the controller at BASE. */
export function agentHandshake(base: string, token: string | undefined, opts: { close?: boolean; path?: string } = {}): Promise<Handshake> {
  return handshake(`${base}${opts.path ?? '/agent/v1/connect'}`, token === undefined ? {} : { Authorization: `Bearer ${token}` }, opts);
}
