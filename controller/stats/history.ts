// The controller's compact per-container resource history: for each host, a ring of time slots
// (default 360 slots of 10 s = 1 h). Each container has one row in a pool shared by all hosts
// (row-pool.ts): its ring — 4 values a slot (CPU %, memory working set, network rx/tx bytes/s) as
// 10-bit log codes packed into 5 bytes (log10.ts) — and its exact newest sample (11 doubles). At
// 5,000 hosts x 10 containers that is 50,000 x (360 x 5 + 88) B = 90 MiB, counted exactly by `bytes`
// (berth_stats_history_bytes). Pure apart from the clock the caller passes in. Slots are anchored at
// the host's first sample and a sample goes to the nearest slot, so the agent's timer jitter never
// leaves holes; two samples in one slot (an agent sampling faster than the resolution) keep the later.
import type { StatsFrame } from '../../protocol/frames.js';
import type { ContainerStats, ContainerStatsSeries, HostStatsView, PageStats } from '../../protocol/stats.js';
import { CPU_CODE, MEMORY_CODE, MISSING, POINT_BYTES, RATE_CODE, decode, encode, pack4, unpack, type LogCode } from './log10.js';
import { RowPool } from './row-pool.js';

export interface StatsHistoryOptions {
  /** Seconds per slot (default 10). */
  resolutionSeconds?: number;
  /** Seconds of history kept (default 3600). */
  windowSeconds?: number;
}

// The ring's values per container and slot, and their codes.
const CPU = 0, MEM = 1, RX = 2, TX = 3;
const CODES: readonly LogCode[] = [CPU_CODE, MEMORY_CODE, RATE_CODE, RATE_CODE];
// The latest sample per container (exact).
const L_TIME = 0, L_SLOT = 1, L_CPU = 2, L_CPU_LIMIT = 3, L_MEM = 4, L_MEM_LIMIT = 5, L_RX = 6, L_TX = 7, L_BR = 8, L_BW = 9, L_PIDS = 10, LATEST = 11;

interface HostSeries {
  readonly anchor: number;
  head: number;
  /** Container name → its row, in the order containers first reported. */
  readonly rows: Map<string, number>;
}

export class StatsHistory {
  readonly resolutionMs: number;
  readonly capacity: number;
  private readonly hosts = new Map<string, HostSeries>();
  private readonly pool: RowPool;

  constructor(opts: StatsHistoryOptions = {}) {
    const resolution = opts.resolutionSeconds ?? 10;
    const window = opts.windowSeconds ?? 3600;
    if (!(resolution >= 1) || !(window >= resolution)) throw new Error(`stats history: the resolution (${resolution} s) must be at least 1 s and the window (${window} s) at least one slot`);
    this.resolutionMs = resolution * 1000;
    this.capacity = Math.round(window / resolution);
    this.pool = new RowPool(this.capacity * POINT_BYTES, LATEST);
  }

  /** Bytes held by the history's typed arrays: every chunk of the row pool, free rows included. */
  get bytes(): number { return this.pool.bytes; }

  /** Containers with a row. */
  get containerCount(): number { return this.pool.inUse; }

  get hostCount(): number { return this.hosts.size; }

  /** Record FRAME from HOSTKEY received at NOW (ms); returns what the page feed sends. */
  record(hostKey: string, frame: StatsFrame, now: number): PageStats {
    let h = this.hosts.get(hostKey);
    if (!h) { h = { anchor: now, head: -1, rows: new Map() }; this.hosts.set(hostKey, h); }
    const slot = Math.max(h.head, Math.round((now - h.anchor) / this.resolutionMs));
    if (slot > h.head) this.advance(h, slot);
    const pos = slot % this.capacity;
    const page: PageStats = { host: hostKey, t: h.anchor + slot * this.resolutionMs, intervalSeconds: this.resolutionMs / 1000, containers: [] };
    const pool = this.pool;
    for (const c of frame.containers) {
      let row = h.rows.get(c.name);
      if (row === undefined) { row = pool.alloc(); h.rows.set(c.name, row); }
      const L = pool.latestChunk(row); const l = pool.latestOffset(row);
      const prevTime = L[l + L_TIME]!;
      const dt = (now - prevTime) / 1000;
      const rate = (cur: number, prev: number) => (dt > 0 && cur >= prev ? (cur - prev) / dt : null);
      const rx = Number.isNaN(prevTime) ? null : rate(c.netRxBytes, L[l + L_RX]!);   // first sample: no rate
      const tx = Number.isNaN(prevTime) ? null : rate(c.netTxBytes, L[l + L_TX]!);
      pack4(pool.pointChunk(row), pool.pointOffset(row) + pos * POINT_BYTES, encode(CPU_CODE, c.cpuPercent), encode(MEMORY_CODE, c.memoryBytes),
        rx === null ? MISSING : encode(RATE_CODE, rx), tx === null ? MISSING : encode(RATE_CODE, tx));
      // field by field: no temporary array per sample
      L[l + L_TIME] = now; L[l + L_SLOT] = slot; L[l + L_CPU] = c.cpuPercent; L[l + L_CPU_LIMIT] = c.cpuLimitCores ?? Number.NaN;
      L[l + L_MEM] = c.memoryBytes; L[l + L_MEM_LIMIT] = c.memoryLimitBytes ?? Number.NaN; L[l + L_RX] = c.netRxBytes; L[l + L_TX] = c.netTxBytes;
      L[l + L_BR] = c.blockReadBytes; L[l + L_BW] = c.blockWriteBytes; L[l + L_PIDS] = c.pids;
      page.containers.push({ name: c.name, cpuPercent: c.cpuPercent, memoryBytes: c.memoryBytes,
        ...(c.memoryLimitBytes !== undefined ? { memoryLimitBytes: c.memoryLimitBytes } : {}), netRxBytesPerSec: rx, netTxBytesPerSec: tx });
    }
    return page;
  }

  /** Move HOST's head to SLOT: clear the slots skipped over; containers not heard of for a whole window give their rows back. */
  private advance(h: HostSeries, slot: number): void {
    const pool = this.pool;
    for (const [name, row] of h.rows) {
      if (pool.latestChunk(row)[pool.latestOffset(row) + L_SLOT]! <= slot - this.capacity) { h.rows.delete(name); pool.release(row); continue; }
      const points = pool.pointChunk(row); const base = pool.pointOffset(row);
      for (let s = Math.max(h.head + 1, slot - this.capacity + 1); s <= slot; s++) {
        const at = base + (s % this.capacity) * POINT_BYTES;
        points.fill(0xff, at, at + POINT_BYTES);
      }
    }
    h.head = slot;
  }

  /** Every container's latest sample, with its newest rates (the --container-metrics gauges read these at scrape time). */
  *latestSamples(): Generator<{ hostKey: string; stats: ContainerStats; netRxBytesPerSec: number | null; netTxBytesPerSec: number | null }> {
    for (const [hostKey, h] of this.hosts) {
      for (const [name, row] of h.rows) {
        const stats = this.latest(name, row);
        if (!stats || this.pool.latestChunk(row)[this.pool.latestOffset(row) + L_SLOT]! < h.head) continue;   // missed the newest slot: stale
        yield { hostKey, stats, netRxBytesPerSec: this.value(row, h.head, RX), netTxBytesPerSec: this.value(row, h.head, TX) };
      }
    }
  }

  /** The host's history is dropped (the ContainerHost was deleted). */
  forget(hostKey: string): void {
    const h = this.hosts.get(hostKey);
    if (!h) return;
    for (const row of h.rows.values()) this.pool.release(row);
    this.hosts.delete(hostKey);
  }

  /** The history of HOSTKEY (empty without samples); CONTAINER: only that one; SINCEMS: only slots at or after it. */
  query(hostKey: string, opts: { container?: string; sinceMs?: number; hostCpus?: number } = {}): Omit<HostStatsView, 'namespace' | 'name'> {
    const h = this.hosts.get(hostKey);
    const empty = { intervalSeconds: this.resolutionMs / 1000, hostCpus: opts.hostCpus ?? 0, t: [], containers: [], totals: { cpuPercent: [], memoryBytes: [], netRxBytesPerSec: [], netTxBytesPerSec: [] } };
    if (!h || h.head < 0) return empty;
    let first = Math.max(0, h.head - this.capacity + 1);
    if (opts.sinceMs !== undefined) first = Math.max(first, Math.ceil((opts.sinceMs - h.anchor) / this.resolutionMs));
    const slots: number[] = [];
    for (let s = first; s <= h.head; s++) slots.push(s);
    const containers: ContainerStatsSeries[] = [];
    const all: ContainerStatsSeries[] = [];
    for (const [name, row] of h.rows) {
      const column = (f: number) => slots.map((s) => this.value(row, s, f));
      const series: ContainerStatsSeries = { name, cpuPercent: column(CPU), memoryBytes: column(MEM), netRxBytesPerSec: column(RX), netTxBytesPerSec: column(TX) };
      const latest = this.latest(name, row);
      if (latest) series.latest = latest;
      all.push(series);
      if (opts.container === undefined || opts.container === name) containers.push(series);
    }
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

  /** Field F of ROW at SLOT, decoded (null: no sample). */
  private value(row: number, slot: number, f: number): number | null {
    return decode(CODES[f]!, unpack(this.pool.pointChunk(row), this.pool.pointOffset(row) + (slot % this.capacity) * POINT_BYTES, f));
  }

  private latest(name: string, row: number): (ContainerStats & { time: string }) | undefined {
    const L = this.pool.latestChunk(row); const l = this.pool.latestOffset(row);
    if (Number.isNaN(L[l + L_TIME]!)) return undefined;
    const opt = (v: number) => (Number.isNaN(v) ? undefined : v);
    const cpuLimit = opt(L[l + L_CPU_LIMIT]!);
    const memLimit = opt(L[l + L_MEM_LIMIT]!);
    return {
      name, time: new Date(L[l + L_TIME]!).toISOString(), cpuPercent: L[l + L_CPU]!,
      ...(cpuLimit !== undefined ? { cpuLimitCores: cpuLimit } : {}),
      memoryBytes: L[l + L_MEM]!, ...(memLimit !== undefined ? { memoryLimitBytes: memLimit } : {}),
      netRxBytes: L[l + L_RX]!, netTxBytes: L[l + L_TX]!, blockReadBytes: L[l + L_BR]!, blockWriteBytes: L[l + L_BW]!, pids: L[l + L_PIDS]!,
    };
  }
}
