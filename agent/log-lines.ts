// Docker log bytes → log lines (`LogEntry`): one splitter per output (stdout, stderr), because each
// carries its own partial line. Pure.
//
// - Without a TTY the engine hands over messages (one frame each, see log-demux.ts) that start with
//   their RFC3339Nano timestamp; a line longer than 16 KiB arrives as several messages, each with a
//   timestamp, the last one ending in "\n". A line takes the timestamp of its first message.
// - With a TTY there are no frames: the raw stream is cut anywhere, and each line starts with its
//   timestamp. (A TTY line over 16 KiB keeps the engine's inner timestamps in its text.)
// - A line is capped at MAX_LINE_CHARS (the protocol's limit): the rest is discarded up to the next
//   newline and the kept part ends with TRUNCATED_MARKER, so a reader sees that it was cut.
// - "\r\n" endings lose the "\r"; invalid UTF-8 becomes U+FFFD; a character split across chunks is kept whole.
import type { LogEntry } from '../protocol/frames.js';
import { nowLogTime } from '../protocol/log-time.js';
import type { StdStream } from './log-demux.js';

/** The protocol's limit on `LogEntry.l` (protocol/schemas.ts). */
export const MAX_LINE_CHARS = 65536;
export const TRUNCATED_MARKER = ' [… line truncated by Berth at 64 KiB]';

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) ?/;

export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private partial = '';
  /** A line has started (possibly empty so far). */
  private open = false;
  /** Its timestamp (message mode); undefined in raw mode, where it is read off the line's start. */
  private lineT: string | undefined;
  /** The current line was already emitted truncated: drop its rest up to the newline. */
  private discarding = false;
  private readonly keep: number;

  constructor(private readonly s: StdStream, private readonly maxLineChars = MAX_LINE_CHARS, private readonly now: () => string = nowLogTime) {
    this.keep = Math.max(1, maxLineChars - TRUNCATED_MARKER.length);
  }

  /** One Docker message (a demultiplexed frame's payload, timestamp prefix included). */
  pushMessage(payload: Buffer): LogEntry[] {
    let text = this.decoder.decode(payload, { stream: true });
    const m = TIMESTAMP.exec(text);
    let t: string;
    if (m) { t = m[1]!; text = text.slice(m[0].length); } else t = this.now();
    const out: LogEntry[] = [];
    this.feed(text, t, out);
    return out;
  }

  /** A chunk of a TTY container's raw stream (lines start with their timestamp). */
  pushRaw(chunk: Buffer): LogEntry[] {
    const out: LogEntry[] = [];
    this.feed(this.decoder.decode(chunk, { stream: true }), undefined, out);
    return out;
  }

  /** End of the stream: the last line, if it had no newline. */
  end(): LogEntry[] {
    const out: LogEntry[] = [];
    const rest = this.decoder.decode();
    if (rest) this.feed(rest, this.lineT, out);
    if (this.open && !this.discarding && this.partial !== '') out.push(this.entry(this.partial, false));
    this.reset();
    this.discarding = false;
    return out;
  }

  private feed(text: string, t: string | undefined, out: LogEntry[]): void {
    if (text === '') return;
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const piece = nl < 0 ? text.slice(from) : text.slice(from, nl);
      if (this.discarding) {
        if (nl >= 0) this.discarding = false;
      } else {
        if (!this.open) { this.open = true; this.lineT = t; }
        this.partial += piece;
        if (nl >= 0) {
          out.push(this.entry(this.partial, false));
          this.reset();
        } else if (this.partial.length > this.maxLineChars) {
          out.push(this.entry(this.partial, true));
          this.reset();
          this.discarding = true;
        }
      }
      if (nl < 0) return;
      from = nl + 1;
      if (from >= text.length) return;
    }
  }

  private entry(line: string, truncated: boolean): LogEntry {
    let t = this.lineT;
    if (t === undefined) {
      const m = TIMESTAMP.exec(line);
      if (m) { t = m[1]!; line = line.slice(m[0].length); } else t = this.now();
    }
    if (truncated) line = `${line.slice(0, this.keep)}${TRUNCATED_MARKER}`;
    else {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length > this.maxLineChars) line = `${line.slice(0, this.keep)}${TRUNCATED_MARKER}`;
    }
    return { t, s: this.s, l: line };
  }

  private reset(): void {
    this.partial = '';
    this.open = false;
    this.lineT = undefined;
  }
}
