// The controller's compact per-container resource history: for each host, a ring of time slots
// (default 360 slots of 10 s = 1 h) held in one Uint16Array per host — 4 values per container and
// slot (CPU %, memory working set, network rx/tx bytes/s) as 12-bit log codes packed into 3 words
// (log12.ts) — plus the exact latest sample of each container in a Float64Array. At 5,000 hosts x
// 10 containers that is 5,000 x 10 x 360 x 6 B = 103 MiB (bench/stats-history.ts measures the RSS).
// Pure apart from the clock the caller passes in. Slots are anchored at the host's first sample
// and a sample goes to the nearest slot, so the agent's timer jitter never leaves holes; two samples
// in one slot (an agent sampling faster than the resolution) keep the later one.
import type { StatsFrame } from '../../protocol/frames.js';
import type { ContainerStats, ContainerStatsSeries, HostStatsView, PageStats } from '../../protocol/stats.js';
import { MISSING, decode, encode, pack4, unpack } from './log12.js';

export interface StatsHistoryOptions {
  /** Seconds per slot (default 10). */
  resolutionSeconds?: number;
  /** Seconds of history kept (default 3600). */
  windowSeconds?: number;
}

// The ring's values per container and slot, and their log12 units.
const CPU = 0, MEM = 1, RX = 2, TX = 3, WORDS = 3;
const UNITS = [0.001, 1, 1, 1];
// The latest sample per container (exact).
const L_TIME = 0, L_SLOT = 1, L_CPU = 2, L_CPU_LIMIT = 3, L_MEM = 4, L_MEM_LIMIT = 5, L_RX = 6, L_TX = 7, L_BR = 8, L_BW = 9, L_PIDS = 10, LATEST = 11;

class HostSeries {
  head = -1;
  names: string[] = [];
  index = new Map<string, number>();
  data: Uint16Array;
  latest: Float64Array;
  constructor(readonly anchor: number, private readonly capacity: number) {
    this.data = new Uint16Array(0);
    this.latest = new Float64Array(0);
  }

  /** Keep only the containers in KEEP (their order), adding the new ones: one copy per change. */
  reshape(keep: string[]): void {
    const cap = this.capacity;
    const data = new Uint16Array(keep.length * WORDS * cap).fill(0xffff);   // all four codes MISSING
    const latest = new Float64Array(keep.length * LATEST).fill(Number.NaN);
    keep.forEach((name, i) => {
      const old = this.index.get(name);
      if (old === undefined) return;
      data.set(this.data.subarray(old * WORDS * cap, (old + 1) * WORDS * cap), i * WORDS * cap);
      latest.set(this.latest.subarray(old * LATEST, (old + 1) * LATEST), i * LATEST);
    });
    this.names = keep;
    this.index = new Map(keep.map((n, i) => [n, i]));
    this.data = data;
    this.latest = latest;
  }

  clearSlot(slot: number): void {
    const pos = slot % this.capacity;
    for (let i = 0; i < this.names.length; i++) this.data.fill(0xffff, (i * this.capacity + pos) * WORDS, (i * this.capacity + pos + 1) * WORDS);
  }
}

export class StatsHistory {
  readonly resolutionMs: number;
  readonly capacity: number;
  private readonly hosts = new Map<string, HostSeries>();

  constructor(opts: StatsHistoryOptions = {}) {
    const resolution = opts.resolutionSeconds ?? 10;
    const window = opts.windowSeconds ?? 3600;
    if (!(resolution >= 1) || !(window >= resolution)) throw new Error(`stats history: the resolution (${resolution} s) must be at least 1 s and the window (${window} s) at least one slot`);
    this.resolutionMs = resolution * 1000;
    this.capacity = Math.round(window / resolution);
  }

  /** Bytes held by the typed arrays (the history's memory, without object overheads). */
  get bytes(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.data.byteLength + h.latest.byteLength;
    return n;
  }

  get hostCount(): number { return this.hosts.size; }

  /** Record FRAME from HOSTKEY received at NOW (ms); returns what the page feed sends. */
  record(hostKey: string, frame: StatsFrame, now: number): PageStats {
    let h = this.hosts.get(hostKey);
    if (!h) { h = new HostSeries(now, this.capacity); this.hosts.set(hostKey, h); }
    const slot = Math.max(h.head, Math.round((now - h.anchor) / this.resolutionMs));
    if (slot > h.head) {
      for (let s = Math.max(h.head + 1, slot - this.capacity + 1); s <= slot; s++) h.clearSlot(s);
      h.head = slot;
    }
    // Containers not heard of for a whole window are gone; new ones get their rows.
    const seen = new Set(frame.containers.map((c) => c.name));
    const keep = h.names.filter((n) => seen.has(n) || h.latest[h.index.get(n)! * LATEST + L_SLOT]! > slot - this.capacity);
    const added = [...seen].filter((n) => !h.index.has(n));
    if (added.length || keep.length !== h.names.length) h.reshape([...keep, ...added]);

    const pos = slot % this.capacity;
    const page: PageStats = { host: hostKey, t: h.anchor + slot * this.resolutionMs, intervalSeconds: this.resolutionMs / 1000, containers: [] };
    for (const c of frame.containers) {
      const i = h.index.get(c.name)!;
      const l = i * LATEST;
      const prevTime = h.latest[l + L_TIME]!;
      const dt = (now - prevTime) / 1000;
      const rate = (cur: number, prev: number) => (dt > 0 && cur >= prev ? (cur - prev) / dt : null);   // NaN prev (first sample): null
      const rx = Number.isNaN(prevTime) ? null : rate(c.netRxBytes, h.latest[l + L_RX]!);
      const tx = Number.isNaN(prevTime) ? null : rate(c.netTxBytes, h.latest[l + L_TX]!);
      pack4(h.data, (i * this.capacity + pos) * WORDS, encode(c.cpuPercent, UNITS[CPU]), encode(c.memoryBytes, UNITS[MEM]),
        rx === null ? MISSING : encode(rx, UNITS[RX]), tx === null ? MISSING : encode(tx, UNITS[TX]));
      const L = h.latest;   // field by field: no temporary array per sample
      L[l + L_TIME] = now; L[l + L_SLOT] = slot; L[l + L_CPU] = c.cpuPercent; L[l + L_CPU_LIMIT] = c.cpuLimitCores ?? Number.NaN;
      L[l + L_MEM] = c.memoryBytes; L[l + L_MEM_LIMIT] = c.memoryLimitBytes ?? Number.NaN; L[l + L_RX] = c.netRxBytes; L[l + L_TX] = c.netTxBytes;
      L[l + L_BR] = c.blockReadBytes; L[l + L_BW] = c.blockWriteBytes; L[l + L_PIDS] = c.pids;
      page.containers.push({ name: c.name, cpuPercent: c.cpuPercent, memoryBytes: c.memoryBytes,
        ...(c.memoryLimitBytes !== undefined ? { memoryLimitBytes: c.memoryLimitBytes } : {}), netRxBytesPerSec: rx, netTxBytesPerSec: tx });
    }
    return page;
  }

  /** Every container's latest sample, with its newest rates (the --container-metrics gauges read these at scrape time). */
  *latestSamples(): Generator<{ hostKey: string; stats: ContainerStats; netRxBytesPerSec: number | null; netTxBytesPerSec: number | null }> {
    for (const [hostKey, h] of this.hosts) {
      for (let i = 0; i < h.names.length; i++) {
        const stats = this.latest(h, i);
        if (!stats || h.latest[i * LATEST + L_SLOT]! < h.head) continue;   // missed the newest slot: stale
        const pos = h.head % this.capacity;
        const rate = (f: number) => decode(unpack(h.data, (i * this.capacity + pos) * WORDS, f), UNITS[f]);
        yield { hostKey, stats, netRxBytesPerSec: rate(RX), netTxBytesPerSec: rate(TX) };
      }
    }
  }

  /** The host's history is dropped (the ContainerHost was deleted). */
  forget(hostKey: string): void { this.hosts.delete(hostKey); }

  /** The history of HOSTKEY (empty without samples); CONTAINER: only that one; SINCEMS: only slots at or after it. */
  query(hostKey: string, opts: { container?: string; sinceMs?: number; hostCpus?: number } = {}): Omit<HostStatsView, 'namespace' | 'name'> {
    const h = this.hosts.get(hostKey);
    const empty = { intervalSeconds: this.resolutionMs / 1000, hostCpus: opts.hostCpus ?? 0, t: [], containers: [], totals: { cpuPercent: [], memoryBytes: [], netRxBytesPerSec: [], netTxBytesPerSec: [] } };
    if (!h || h.head < 0) return empty;
    let first = Math.max(0, h.head - this.capacity + 1);
    if (opts.sinceMs !== undefined) first = Math.max(first, Math.ceil((opts.sinceMs - h.anchor) / this.resolutionMs));
    const slots: number[] = [];
    for (let s = first; s <= h.head; s++) slots.push(s);
    const column = (i: number, f: number) => slots.map((s) => decode(unpack(h.data, (i * this.capacity + (s % this.capacity)) * WORDS, f), UNITS[f]));
    const containers: ContainerStatsSeries[] = [];
    const all: ContainerStatsSeries[] = [];
    h.names.forEach((name, i) => {
      const series: ContainerStatsSeries = { name, cpuPercent: column(i, CPU), memoryBytes: column(i, MEM), netRxBytesPerSec: column(i, RX), netTxBytesPerSec: column(i, TX) };
      const latest = this.latest(h, i);
      if (latest) series.latest = latest;
      all.push(series);
      if (opts.container === undefined || opts.container === name) containers.push(series);
    });
    const sum = (pick: (s: ContainerStatsSeries) => Array<number | null>) => slots.map((_, k) => {
      let total: number | null = null;
      for (const s of all) { const v = pick(s)[k]; if (v !== null && v !== undefined) total = (total ?? 0) + v; }
      return total;
    });
    return {
      intervalSeconds: this.resolutionMs / 1000, hostCpus: opts.hostCpus ?? 0,
      t: slots.map((s) => h.anchor + s * this.resolutionMs),
      containers,
      totals: { cpuPercent: sum((s) => s.cpuPercent), memoryBytes: sum((s) => s.memoryBytes), netRxBytesPerSec: sum((s) => s.netRxBytesPerSec), netTxBytesPerSec: sum((s) => s.netTxBytesPerSec) },
    };
  }

  private latest(h: HostSeries, i: number): (ContainerStats & { time: string }) | undefined {
    const l = h.latest.subarray(i * LATEST, (i + 1) * LATEST);
    if (Number.isNaN(l[L_TIME]!)) return undefined;
    const opt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? undefined : v);
    const cpuLimit = opt(l[L_CPU_LIMIT]);
    const memLimit = opt(l[L_MEM_LIMIT]);
    return {
      name: h.names[i]!, time: new Date(l[L_TIME]!).toISOString(), cpuPercent: l[L_CPU]!,
      ...(cpuLimit !== undefined ? { cpuLimitCores: cpuLimit } : {}),
      memoryBytes: l[L_MEM]!, ...(memLimit !== undefined ? { memoryLimitBytes: memLimit } : {}),
      netRxBytes: l[L_RX]!, netTxBytes: l[L_TX]!, blockReadBytes: l[L_BR]!, blockWriteBytes: l[L_BW]!, pids: l[L_PIDS]!,
    };
  }
}
