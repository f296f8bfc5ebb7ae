// Log lines → `log` frames: a batch goes out when it reaches MAX_BATCH_BYTES (or MAX_BATCH_ENTRIES),
// or when its first line has waited MAX_BATCH_DELAY_MS (the caller owns that timer). Fewer, larger
// frames cost far less than a frame per line, and 50 ms is below what a person watching notices.
// Pure: no timers, no I/O.
import type { LogEntry } from '../protocol/frames.js';

export const MAX_BATCH_BYTES = 64 * 1024;
export const MAX_BATCH_ENTRIES = 5000;
export const MAX_BATCH_DELAY_MS = 50;
/** While the socket is idle, frames of one stream go out at once but at most this often. */
export const MIN_FRAME_INTERVAL_MS = 5;

/** JSON size of an entry, roughly (escaping and multi-byte characters aside): enough to bound frames. */
const entryBytes = (e: LogEntry): number => e.l.length + e.t.length + 20;

export class LogBatcher {
  private entries: LogEntry[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes = MAX_BATCH_BYTES, private readonly maxEntries = MAX_BATCH_ENTRIES) {}

  /** Add ENTRY; returns the batch when it is full (the caller sends it), else undefined. */
  add(entry: LogEntry): LogEntry[] | undefined {
    this.entries.push(entry);
    this.bytes += entryBytes(entry);
    return this.bytes >= this.maxBytes || this.entries.length >= this.maxEntries ? this.take() : undefined;
  }

  /** Whatever is pending (undefined when nothing is). */
  take(): LogEntry[] | undefined {
    if (this.entries.length === 0) return undefined;
    const batch = this.entries;
    this.entries = [];
    this.bytes = 0;
    return batch;
  }

  get size(): number { return this.entries.length; }
}
