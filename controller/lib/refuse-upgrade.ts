// The one format of a refused WebSocket handshake: a plain HTTP response with a JSON body
// {error, message}, written to the raw socket before any upgrade, then the socket is dropped.
// The upgrade router (unknown paths), the agent endpoint (hub/auth.ts) and the log socket all
// refuse through this, so a client sees one format whichever endpoint said no. It lives in lib/
// because the hub sits below http/ and must not import it.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

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
