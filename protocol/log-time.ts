// Log timestamps (`LogEntry.t`): RFC 3339 with up to nanosecond precision, as Docker prints them
// with `timestamps=true` (fixed nine fraction digits, UTC "Z"). Shared by the agent (which turns a
// resume point into Docker's `since`) and the controller (which drops lines it already has after a
// resume). Pure.

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** A log time as whole seconds since the epoch plus nanoseconds, or undefined when T is not RFC 3339. */
export interface LogTime { seconds: number; nanos: number }

export function parseLogTime(t: string): LogTime | undefined {
  const m = RFC3339.exec(t);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms)) return undefined;
  return { seconds: Math.floor(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

/** Negative, zero or positive like a sort comparator; unparseable times sort first (treated as oldest). */
export function compareLogTime(a: string, b: string): number {
  // Fast path (every line goes through here): Docker's fixed form in UTC sorts as text.
  if (a.length === 30 && b.length === 30 && a.charCodeAt(29) === 90 && b.charCodeAt(29) === 90 && a.charCodeAt(19) === 46 && b.charCodeAt(19) === 46) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const x = parseLogTime(a);
  const y = parseLogTime(b);
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  return x.seconds - y.seconds || x.nanos - y.nanos;
}

/** Docker's `since` query value ("<seconds>.<nanoseconds>") for an RFC 3339 time, or undefined. */
export function dockerSince(t: string): string | undefined {
  const p = parseLogTime(t);
  return p ? `${p.seconds}.${String(p.nanos).padStart(9, '0')}` : undefined;
}

/** Now, in Docker's fixed RFC3339Nano form (millisecond clock, zero-padded). For lines Docker did not stamp. */
export function nowLogTime(now = new Date()): string {
  return now.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
