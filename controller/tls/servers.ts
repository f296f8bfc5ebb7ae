// The controller's listeners: plain HTTP, or HTTPS whose certificate follows its files (TlsFiles).
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TlsFiles } from './tls-files.js';

export interface Listener { server: Server; secure: boolean; close(): void }

/** An HTTP server, or an HTTPS one when `tls` is given (its reloads swap the secure context). */
export function createListener(handler: RequestListener, tls?: TlsFiles): Listener {
  if (!tls) return { server: createHttpServer(handler), secure: false, close: () => undefined };
  const { cert, key } = tls.current;
  // TLS 1.2 is the floor: older versions have known weaknesses and every supported agent speaks 1.3.
  const server = createHttpsServer({ cert, key, minVersion: 'TLSv1.2' }, handler);
  const off = tls.onChange((pair) => server.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' }));
  tls.start();
  return { server, secure: true, close: off };
}

/** Listen; resolves with the base URL (http(s)://addr:port). */
export async function listenOn(l: Listener, at: { host: string; port: number }): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    l.server.once('error', reject);
    l.server.listen(at.port, at.host, () => { l.server.off('error', reject); resolve(); });
  });
  const addr = l.server.address() as AddressInfo;
  return `${l.secure ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
}
