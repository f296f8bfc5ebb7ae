// The log tail's memory: a ring of the last `capacity` rows (100 000 by default), each with a
// sequence number that only grows. Rows are log lines and markers (dropped lines, "waiting", a
// reconnect), kept in the order they arrived. A row's slot is seq % capacity, so appending,
// evicting and looking a row up by seq are O(1) and memory stays bounded however long the tail runs.
// Overlong lines are cut (the page shows they were).
import type { LogEntry } from '../../../protocol/frames.js';

/** stdout or stderr, as the log socket names them. */
export type Stream = LogEntry['s'];

export type RowData =
  | { kind: 'line'; t: string; s: Stream; l: string; cut?: boolean }
  | { kind: 'gap'; dropped: number }
  | { kind: 'waiting'; reason: string }
  | { kind: 'notice'; text: string };

export type Row = RowData & { seq: number };

export class LineStore {
  private readonly slots: Array<Row | undefined>;
  private next = 0;
  private first = 0;

  constructor(readonly capacity = 100_000, readonly maxLineChars = 16_384) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('capacity must be a positive integer');
    this.slots = new Array<Row | undefined>(capacity);
  }

  /** Seq of the oldest row kept (== endSeq when empty). */
  get firstSeq(): number { return this.first; }
  /** One past the newest row's seq. */
  get endSeq(): number { return this.next; }
  get size(): number { return this.next - this.first; }

  /** Append a row; returns it and how many old rows were evicted to make room (0 or 1). */
  push(data: RowData): { row: Row; evicted: number } {
    let d = data;
    if (d.kind === 'line' && d.l.length > this.maxLineChars) d = { ...d, l: d.l.slice(0, this.maxLineChars), cut: true };
    const row = { ...d, seq: this.next } as Row;
    let evicted = 0;
    if (this.size === this.capacity) { this.first++; evicted = 1; }
    this.slots[this.next % this.capacity] = row;
    this.next++;
    return { row, evicted };
  }

  get(seq: number): Row | undefined {
    if (seq < this.first || seq >= this.next) return undefined;
    return this.slots[seq % this.capacity];
  }

  *rows(): IterableIterator<Row> {
    for (let s = this.first; s < this.next; s++) yield this.slots[s % this.capacity]!;
  }

  clear(): void {
    this.first = this.next;
    this.slots.fill(undefined);
  }
}
