// A browser stand-in for the log socket (`/api/v1/logs/ws`): a ws client that records every message,
// can stop reading its TCP socket (a deliberately slow viewer), and reports refusals before the
// upgrade as {status, body}. For system tests and bench/logs.
import type { ClientRequestArgs } from 'node:http';
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { LogEntry } from '../../protocol/frames.js';
import type { LogViewerMessage } from '../../protocol/log-viewer.js';
import { until } from './berth-env.js';

export function logUrl(base: string, query: Record<string, string | number>): string {
  const u = new URL('/api/v1/logs/ws', base.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
  return u.toString();
}

export interface ViewerOptions {
  headers?: Record<string, string>;
  /** Keep every message (default true); false keeps counts only (benchmarks). */
  keep?: boolean;
  onLines?: (entries: LogEntry[], receivedAt: number) => void;
}

export class LogViewer {
  readonly messages: LogViewerMessage[] = [];
  lineCount = 0;
  closed?: { code: number; reason: string };
  private tcp?: Socket;

  private constructor(readonly ws: WebSocket, private readonly opts: ViewerOptions) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as LogViewerMessage;
      if (m.type === 'lines') { this.lineCount += m.entries.length; opts.onLines?.(m.entries, Date.now()); }
      if (opts.keep !== false || m.type !== 'lines') this.messages.push(m);
    });
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; });
    ws.on('error', () => { /* the close handler records it */ });
  }

  /**
   * Open a viewer; resolves once the first message (`ready`, by contract) arrived. Rejects with the
   * status and body when the server refuses before upgrading.
   */
  static open(url: string, opts: ViewerOptions = {}): Promise<LogViewer> {
    let tcp: Socket | undefined;
    const ws = new WebSocket(url, {
      perMessageDeflate: false, maxPayload: 64 * 1024 * 1024,
      ...(opts.headers ? { headers: opts.headers } : {}),
      // Our own TCP socket, so a test can stop reading from it.
      createConnection: (o: ClientRequestArgs) => { tcp = connect(o as NetConnectOpts); return tcp; },
    });
    const viewer = new LogViewer(ws, opts);
    return new Promise((resolve, reject) => {
      ws.once('open', () => { viewer.tcp = tcp; });
      ws.once('message', () => resolve(viewer));
      ws.once('close', (code) => reject(new Error(`the log socket closed (${code}) before its first message`)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => reject(new Refused(res.statusCode ?? 0, body)));
      });
      ws.once('error', (err) => reject(err));
    });
  }

  lines(): LogEntry[] { return this.messages.flatMap((m) => (m.type === 'lines' ? m.entries : [])); }
  of<T extends LogViewerMessage['type']>(type: T): Array<Extract<LogViewerMessage, { type: T }>> {
    return this.messages.filter((m): m is Extract<LogViewerMessage, { type: T }> => m.type === type);
  }

  waitFor<T>(what: string, probe: (v: LogViewer) => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    return until(what, () => probe(this), timeoutMs, 50);
  }

  /** Stop reading from the TCP socket: the server's send buffer fills up. */
  pause(): void { this.tcp?.pause(); }
  resume(): void { this.tcp?.resume(); }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
      setTimeout(() => { this.ws.terminate(); resolve(); }, 2000).unref();
    });
  }
}

export class Refused extends Error {
  constructor(readonly status: number, readonly body: string) { super(`refused with HTTP ${status}: ${body}`); }
  json(): { error: string; message: string } { return JSON.parse(this.body) as { error: string; message: string }; }
}

/** Open, expecting a refusal. */
export async function refusal(url: string, headers?: Record<string, string>): Promise<Refused> {
  try {
    const v = await LogViewer.open(url, headers ? { headers } : {});
    await v.close();
  } catch (err) {
    if (err instanceof Refused) return err;
    throw err;
  }
  throw new Error(`expected ${url} to be refused, but it upgraded`);
}

/** Re-exported from metrics.ts (its home now) so existing imports keep working: undefined when absent. */
export { metric } from './metrics.js';
