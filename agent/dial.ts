// Opening one socket to the controller: the token goes in the Authorization header (never the URL),
// and a refusal before the upgrade (HTTP 401 …) is read far enough to say why, so the close handler
// learns the WebSocket close code, the reason and, for a refusal, the HTTP status.
import type { IncomingMessage } from 'node:http';
import WebSocket, { type ClientOptions, type RawData } from 'ws';
import { MAX_FRAME_BYTES } from '../protocol/frames.js';
import { refusalReason } from './close-verdict.js';

export interface DialHandlers {
  open(): void;
  message(data: RawData, isBinary: boolean): void;
  pong(): void;
  /** `reason`: the close frame's, else the refusal's message, else the socket error. */
  close(code: number, reason: string, httpStatus: number | undefined): void;
}

/** Throws what `new WebSocket` throws (e.g. a control character in the token: the message names the header, never its value). */
export function dial(endpoint: string, token: string, o: { wsOptions?: ClientOptions; handshakeTimeoutMs?: number }, h: DialHandlers): WebSocket {
  const ws = new WebSocket(endpoint, {
    ...o.wsOptions,
    headers: { ...o.wsOptions?.headers, Authorization: `Bearer ${token}` },
    maxPayload: MAX_FRAME_BYTES,
    handshakeTimeout: o.handshakeTimeoutMs ?? 10_000,
    perMessageDeflate: false,
  });
  let httpStatus: number | undefined;
  let httpBody = '';
  let lastError: string | undefined;
  ws.on('unexpected-response', (req, res: IncomingMessage) => {
    // The controller refused before upgrading (401: token refused). Keep a little of its body —
    // it says why (expired, revoked, unknown host) — then abort the handshake.
    httpStatus = res.statusCode;
    const done = () => { clearTimeout(timer); if (ws.readyState === WebSocket.CONNECTING) ws.terminate(); };
    const timer = setTimeout(done, 2_000);
    res.on('data', (chunk: Buffer) => { if (httpBody.length < 2048) httpBody += chunk.toString('utf8'); });
    res.on('end', done);
    res.on('error', done);
    req.on('error', () => { /* aborted by terminate(); the close handler reports */ });
  });
  ws.on('error', (err) => { lastError = err.message; });
  ws.on('open', () => h.open());
  ws.on('message', (data, isBinary) => h.message(data, isBinary));
  ws.on('pong', () => h.pong());
  ws.on('close', (code, reasonBuf) => {
    const reason = reasonBuf.toString('utf8') || (httpStatus ? refusalReason(httpBody) : lastError ?? '');
    h.close(code, reason, httpStatus);
  });
  return ws;
}
