// The page's resource history of one host: loaded from GET /api/v1/hosts/NS/NAME/stats, then
// extended by the page feed's `stats` events. Pure; immutable updates (a new view per sample) so
// Lit's change detection sees them.
import type { ContainerStatsSeries, HostStatsView, PageStats } from '../../../protocol/stats.js';

/** Most points kept per series on the page (1 h at 10 s). */
export const MAX_POINTS = 360;

type Values = Array<number | null>;

function put(arr: Values, index: number, v: number | null): Values {
  const next = arr.slice();
  while (next.length < index) next.push(null);
  next[index] = v;
  return next;
}

/** VIEW with SAMPLE applied (a new slot at the end, or the newest slot replaced); other hosts' samples are ignored. */
export function applySample(view: HostStatsView, sample: PageStats, maxPoints = MAX_POINTS): HostStatsView {
  if (sample.host !== `${view.namespace}/${view.name}`) return view;
  const last = view.t.length - 1;
  if (last >= 0 && sample.t < view.t[last]!) return view;   // older than what we have
  const index = last >= 0 && sample.t === view.t[last] ? last : view.t.length;
  const t = put(view.t, index, sample.t) as number[];
  const byName = new Map(view.containers.map((c) => [c.name, c]));
  for (const s of sample.containers) if (!byName.has(s.name)) byName.set(s.name, { name: s.name, cpuPercent: [], memoryBytes: [], netRxBytesPerSec: [], netTxBytesPerSec: [] });
  const containers: ContainerStatsSeries[] = [...byName.values()].map((c) => {
    const s = sample.containers.find((x) => x.name === c.name);
    const pad = (arr: Values) => put(arr, index, null);
    if (!s) return { ...c, cpuPercent: pad(c.cpuPercent), memoryBytes: pad(c.memoryBytes), netRxBytesPerSec: pad(c.netRxBytesPerSec), netTxBytesPerSec: pad(c.netTxBytesPerSec) };
    return {
      ...c,
      cpuPercent: put(c.cpuPercent, index, s.cpuPercent), memoryBytes: put(c.memoryBytes, index, s.memoryBytes),
      netRxBytesPerSec: put(c.netRxBytesPerSec, index, s.netRxBytesPerSec), netTxBytesPerSec: put(c.netTxBytesPerSec, index, s.netTxBytesPerSec),
      latest: { ...(c.latest ?? { netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 0 }), name: c.name, time: new Date(sample.t).toISOString(),
        cpuPercent: s.cpuPercent, memoryBytes: s.memoryBytes, ...(s.memoryLimitBytes !== undefined ? { memoryLimitBytes: s.memoryLimitBytes } : {}) },
    };
  });
  const total = (pick: (c: ContainerStatsSeries) => Values) => {
    let sum: number | null = null;
    for (const c of containers) { const v = pick(c)[index]; if (v !== null && v !== undefined) sum = (sum ?? 0) + v; }
    return sum;
  };
  const totals = {
    cpuPercent: put(view.totals.cpuPercent, index, total((c) => c.cpuPercent)),
    memoryBytes: put(view.totals.memoryBytes, index, total((c) => c.memoryBytes)),
    netRxBytesPerSec: put(view.totals.netRxBytesPerSec, index, total((c) => c.netRxBytesPerSec)),
    netTxBytesPerSec: put(view.totals.netTxBytesPerSec, index, total((c) => c.netTxBytesPerSec)),
  };
  const drop = Math.max(0, t.length - maxPoints);
  if (drop === 0) return { ...view, t, containers, totals };
  const cut = (arr: Values) => arr.slice(drop);
  return {
    ...view, t: t.slice(drop),
    containers: containers.map((c) => ({ ...c, cpuPercent: cut(c.cpuPercent), memoryBytes: cut(c.memoryBytes), netRxBytesPerSec: cut(c.netRxBytesPerSec), netTxBytesPerSec: cut(c.netTxBytesPerSec) })),
    totals: { cpuPercent: cut(totals.cpuPercent), memoryBytes: cut(totals.memoryBytes), netRxBytesPerSec: cut(totals.netRxBytesPerSec), netTxBytesPerSec: cut(totals.netTxBytesPerSec) },
  };
}

/** The newest non-null value, the least and the greatest: what a chart says in words. */
export function summarize(values: Values): { latest: number | null; min: number | null; max: number | null; points: number } {
  let latest: number | null = null, min: number | null = null, max: number | null = null, points = 0;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    points++;
    latest = v;
    min = min === null || v < min ? v : min;
    max = max === null || v > max ? v : max;
  }
  return { latest, min, max, points };
}

/** "12.3 %" */
export const formatPercent = (v: number | null): string => (v === null ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} %`);

/** "1.5 MiB" (binary units, as docker stats shows memory). */
export function formatBytes(v: number | null): string {
  if (v === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = v;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return `${i === 0 ? Math.round(x) : x < 10 ? x.toFixed(2) : x.toFixed(1)} ${units[i]}`;
}

export const formatRate = (v: number | null): string => (v === null ? '—' : `${formatBytes(v)}/s`);

/** SVG path of VALUES scaled into WIDTH x HEIGHT (0 at the bottom, MAX at the top); nulls break the line. */
export function linePath(values: Values, max: number, width: number, height: number): string {
  if (values.length === 0 || !(max > 0)) return '';
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { pen = false; return; }
    const x = (i * step).toFixed(1);
    const y = (height - (Math.min(v, max) / max) * height).toFixed(1);
    d += `${pen ? 'L' : 'M'}${x} ${y}`;
    pen = true;
  });
  return d;
}
