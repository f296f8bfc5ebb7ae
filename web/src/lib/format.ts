// Small text formatting for the page. Pure.

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago"; future times: "in 3 d". */
export function relativeTime(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = Math.round((now - t) / 1000);
  const abs = Math.abs(d);
  const text = abs < 5 ? '' : abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.floor(abs / 60)} min` : abs < 86_400 ? `${Math.floor(abs / 3600)} h` : `${Math.floor(abs / 86_400)} d`;
  if (!text) return 'just now';
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** The 12 hex digits Docker shows for an image or container ID ("sha256:" dropped). */
export function shortId(id: string | undefined): string {
  if (!id) return '—';
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** A log line's time as "YYYY-MM-DD HH:MM:SS.mmm" (UTC, as Docker records it). */
export function logTime(t: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?/.exec(t);
  return m ? `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}` : t;
}

/** "2/3" → [2, 3]. */
export function readyCounts(ready: string | undefined): [number, number] | undefined {
  const m = ready ? /^(\d+)\/(\d+)$/.exec(ready) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
