// Resuming a log stream without duplicates. After an agent reconnects (or a container restarts) the
// controller asks again with `since` = the newest timestamp it has; Docker's `since` is inclusive,
// so the lines at exactly that time come again. The cursor remembers how many lines it holds at that
// time, and the filter drops exactly those (and anything older). Pure.
import type { LogEntry } from '../../protocol/frames.js';
import { compareLogTime } from '../../protocol/log-time.js';

/** The newest timestamp seen and how many lines carried it. */
export interface LogCursor { t: string; atT: number }

/** Advance CURSOR over ENTRIES (in order). */
export function advanceCursor(cursor: LogCursor | undefined, entries: readonly LogEntry[]): LogCursor | undefined {
  let c = cursor;
  for (const e of entries) {
    if (c && e.t === c.t) c = { t: c.t, atT: c.atT + 1 };
    else if (!c || compareLogTime(e.t, c.t) >= 0) c = { t: e.t, atT: 1 };
  }
  return c;
}

/** Drops, from the start of a resumed stream, the lines at or before the cursor that were already delivered. */
export class ResumeFilter {
  private skipAtT: number;
  private passed = false;

  constructor(private readonly cursor: LogCursor) { this.skipAtT = cursor.atT; }

  filter(entries: LogEntry[]): LogEntry[] {
    if (this.passed) return entries;
    let i = 0;
    for (; i < entries.length; i++) {
      const cmp = compareLogTime(entries[i]!.t, this.cursor.t);
      if (cmp < 0) continue;
      if (cmp === 0 && this.skipAtT > 0) { this.skipAtT--; continue; }
      this.passed = true;
      break;
    }
    return i === 0 ? entries : entries.slice(i);
  }
}
