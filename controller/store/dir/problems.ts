// The directory store's problems(): files that fail to read or validate and configured paths that
// are missing. A problem keeps its `since` while its source stays broken (whatever the message), and
// each new problem and each resolution is logged once, not on every scan.
import type { Logger } from 'pino';
import type { SourceProblem } from '../store.js';
import type { LocatedProblem } from './sources.js';

export class ProblemTracker {
  private current: SourceProblem[] = [];
  private readonly since = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  list(): SourceProblem[] { return this.current.map((p) => ({ ...p })); }
  get size(): number { return this.current.length; }

  /** The problems the last scan found (all of them: what is not listed is resolved). */
  set(found: LocatedProblem[]): void {
    const now = new Date().toISOString();
    const sources = new Set(found.map((p) => p.source));
    for (const [source] of this.since) {
      if (!sources.has(source)) {
        this.since.delete(source);
        this.log.info({ source }, 'manifest problem resolved');
      }
    }
    const before = new Set(this.current.map((p) => `${p.source}\0${p.line}\0${p.message}`));
    this.current = found.map((p) => {
      if (!this.since.has(p.source)) this.since.set(p.source, now);
      const problem: SourceProblem = { source: p.source, ...(p.line !== undefined ? { line: p.line } : {}), message: p.message, since: this.since.get(p.source)! };
      if (!before.has(`${p.source}\0${p.line}\0${p.message}`)) this.log.warn({ source: p.source, line: p.line }, `manifest problem: ${p.message}`);
      return problem;
    });
  }
}
