// The log socket's messages (LOGS-WEB-CONTRACT; their types are protocol/log-viewer.ts), checked on
// receipt: a malformed frame is reported, never trusted.
import type { LogEntry } from '../../../protocol/frames.js';
import type { LogViewerMessage } from '../../../protocol/log-viewer.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseLogFrame(text: string): LogViewerMessage | { type: 'invalid'; message: string } {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return { type: 'invalid', message: 'frame is not JSON' }; }
  if (!isObj(v) || typeof v.type !== 'string') return { type: 'invalid', message: 'frame has no type' };
  switch (v.type) {
    case 'ready':
      return { type: 'ready', namespace: String(v.namespace ?? ''), host: String(v.host ?? ''), container: String(v.container ?? ''), replayed: Number(v.replayed ?? 0) };
    case 'lines': {
      if (!Array.isArray(v.entries)) return { type: 'invalid', message: 'lines.entries is not an array' };
      const entries: LogEntry[] = [];
      for (const e of v.entries) {
        if (!isObj(e) || typeof e.l !== 'string' || (e.s !== 'out' && e.s !== 'err') || typeof e.t !== 'string') return { type: 'invalid', message: 'lines.entries[] needs t, s (out|err) and l' };
        entries.push({ t: e.t, s: e.s, l: e.l });
      }
      return { type: 'lines', entries };
    }
    case 'gap':
      return typeof v.dropped === 'number' && v.dropped >= 0 ? { type: 'gap', dropped: v.dropped } : { type: 'invalid', message: 'gap.dropped is not a count' };
    case 'waiting':
      return { type: 'waiting', reason: typeof v.reason === 'string' ? v.reason : 'waiting for the log stream' };
    case 'error':
      return { type: 'error', code: String(v.code ?? 'Error'), message: String(v.message ?? 'the log stream failed') };
    default:
      return { type: 'invalid', message: `unknown frame type "${v.type}"` };
  }
}

/**
 * A sortable key for Docker's RFC 3339 (nano) timestamps, whose fraction has a variable number of
 * digits ("…:05.1Z", "…:05.123456789Z") and so does not sort as text.
 */
export function timeKey(t: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(t);
  if (m) return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : `${new Date(ms).toISOString().slice(0, 19)}.${String(ms % 1000).padStart(3, '0').padEnd(9, '0')}`;
}

/**
 * After a reconnect the server replays its ring buffer: skip what was already shown. Lines older
 * than the newest one seen are dropped; at that very timestamp, as many copies of a line as were
 * already shown there are skipped (several lines may share one timestamp).
 */
export class ReplayFilter {
  private lastKey = '';
  private shownAtLast = new Map<string, number>();
  private repeats = new Map<string, number>();

  /** The socket is being reopened: the next lines at the last timestamp may be repeats. */
  reconnecting(): void { this.repeats = new Map(this.shownAtLast); }

  accept(e: LogEntry): boolean {
    const k = timeKey(e.t);
    const id = `${e.s}\u0000${e.l}`;
    if (k < this.lastKey) return false;
    if (k === this.lastKey) {
      const r = this.repeats.get(id) ?? 0;
      if (r > 0) { this.repeats.set(id, r - 1); return false; }
      this.shownAtLast.set(id, (this.shownAtLast.get(id) ?? 0) + 1);
      return true;
    }
    this.lastKey = k;
    this.shownAtLast = new Map([[id, 1]]);
    this.repeats = new Map();
    return true;
  }
}
