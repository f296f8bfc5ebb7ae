// What the log tail shows: the rows of a LineStore that pass the stream filter (stdout/stderr) and,
// when asked, only those matching the search. Kept as a list of seqs that is extended as lines
// arrive and trimmed from the front as the store evicts — never rebuilt per line, so 100k-line tails
// stay cheap. Markers (gap, waiting, notices) always show: they explain holes in what is shown.
import type { LineStore, Row } from './line-store.js';
import { matcher, type Matcher } from './search.js';

export interface ViewFilter {
  out: boolean;
  err: boolean;
  query: string;
  /** Show only lines that match the query (otherwise matches are highlighted in place). */
  onlyMatches: boolean;
}

export const defaultFilter: ViewFilter = { out: true, err: true, query: '', onlyMatches: false };

export class LogView {
  private seqs: number[] = [];
  private start = 0;
  private m: Matcher | undefined;
  private f: ViewFilter = defaultFilter;

  constructor(private readonly store: LineStore) {}

  get filter(): ViewFilter { return this.f; }
  get search(): Matcher | undefined { return this.m; }
  get length(): number { return this.seqs.length - this.start; }

  /** The i-th row shown. */
  at(i: number): Row | undefined {
    const seq = this.seqs[this.start + i];
    return seq === undefined ? undefined : this.store.get(seq);
  }

  passes(row: Row): boolean {
    if (row.kind !== 'line') return true;
    if (row.s === 'out' ? !this.f.out : !this.f.err) return false;
    return !this.f.onlyMatches || !this.m || this.m.test(row.l);
  }

  setFilter(f: ViewFilter): void {
    this.f = f;
    this.m = matcher(f.query);
    this.seqs = [];
    this.start = 0;
    for (const row of this.store.rows()) if (this.passes(row)) this.seqs.push(row.seq);
  }

  /** A row was pushed to the store: show it if it passes. Returns whether it is shown. */
  appended(row: Row): boolean {
    if (!this.passes(row)) return false;
    this.seqs.push(row.seq);
    return true;
  }

  /** Drop rows the store evicted; returns how many shown rows went (to keep a paused reader's place). */
  trim(): number {
    const first = this.store.firstSeq;
    let dropped = 0;
    while (this.start < this.seqs.length && this.seqs[this.start]! < first) { this.start++; dropped++; }
    // Compact now and then, so the array does not grow forever.
    if (this.start > 8192 && this.start * 2 > this.seqs.length) { this.seqs = this.seqs.slice(this.start); this.start = 0; }
    return dropped;
  }

  /** The next (dir 1) or previous (dir -1) shown row after index `from` whose line matches the search. */
  findMatch(from: number, dir: 1 | -1): number | undefined {
    if (!this.m) return undefined;
    const n = this.length;
    for (let step = 1; step <= n; step++) {
      const i = (((from + dir * step) % n) + n) % n;
      const row = this.at(i);
      if (row?.kind === 'line' && this.m.test(row.l)) return i;
    }
    return undefined;
  }

  /** How many shown lines match the search. */
  countMatches(limit = 100_000): number {
    if (!this.m) return 0;
    let n = 0;
    for (let i = 0; i < this.length && n < limit; i++) { const r = this.at(i); if (r?.kind === 'line' && this.m.test(r.l)) n++; }
    return n;
  }
}
