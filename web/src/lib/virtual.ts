// Which rows of a fixed-row-height list to render for a scroll position: only those in view plus a
// margin, so a 100k-line tail costs the same to draw as a 50-line one. Pure.

export interface Window { start: number; end: number; offsetPx: number; totalPx: number }

export function visibleWindow(o: { scrollTop: number; viewportPx: number; rowPx: number; count: number; overscan?: number }): Window {
  const over = o.overscan ?? 10;
  const totalPx = o.count * o.rowPx;
  const top = Math.max(0, Math.min(o.scrollTop, Math.max(0, totalPx - o.viewportPx)));
  const start = Math.max(0, Math.floor(top / o.rowPx) - over);
  const end = Math.min(o.count, Math.ceil((top + o.viewportPx) / o.rowPx) + over);
  return { start, end, offsetPx: start * o.rowPx, totalPx };
}
