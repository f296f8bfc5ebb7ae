// Container resource samples: what an agent's `stats` frame carries and what the controller's stats
// API (GET /api/v1/hosts/NS/NAME/stats) and the page feed's `stats` event send the page. Type-only
// apart from the limits, so the agent, the controller and the page share one definition.

/** Most containers one `stats` frame may carry (the same cap as an inventory). */
export const MAX_STATS_CONTAINERS = 1000;
/** Default seconds between two samples of one container (`berth agent --stats-interval`). */
export const DEFAULT_STATS_INTERVAL_S = 10;
/** Bounds of `--stats-interval`: faster than 1 s costs Docker more than it tells anyone; 0 turns stats off. */
export const MIN_STATS_INTERVAL_S = 1;
export const MAX_STATS_INTERVAL_S = 3600;

/** One container's resource use, as the agent measured it from the Engine's stats. */
export interface ContainerStats {
  name: string;
  /** CPU used since the previous sample, in percent of the whole host (all cores busy = 100). */
  cpuPercent: number;
  /** Cores the container may use (NanoCpus or CFS quota/period); absent: no CPU limit. */
  cpuLimitCores?: number;
  /** Memory working set: usage minus inactive file cache (what the kernel cannot simply drop). */
  memoryBytes: number;
  /** Its memory limit; absent: none (the host's memory is the only bound). */
  memoryLimitBytes?: number;
  /** Counters since the container started: bytes received and sent on all its interfaces. */
  netRxBytes: number;
  netTxBytes: number;
  /** Counters since the container started: bytes read from and written to block devices. */
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
}

/** CPU percent of the container's own limit (100 = the limit is used up); the host's percent without one. */
export function cpuPercentOfLimit(s: Pick<ContainerStats, 'cpuPercent' | 'cpuLimitCores'>, hostCpus: number): number {
  if (!s.cpuLimitCores || hostCpus <= 0) return s.cpuPercent;
  return (s.cpuPercent * hostCpus) / s.cpuLimitCores;
}

// ---- the API and the page feed

/**
 * One container's history, oldest first, one point per sampling slot (null: no sample in that slot).
 * `t` are Unix milliseconds of the slots; the arrays are all as long as `t`. Stored values are
 * rounded to 10-bit logarithmic codes (CPU at most 0.45 % off, memory and network 1.4 %; docs/stats.md);
 * `latest` is exact.
 */
export interface ContainerStatsSeries {
  name: string;
  cpuPercent: Array<number | null>;
  memoryBytes: Array<number | null>;
  /** Bytes per second over the slot. */
  netRxBytesPerSec: Array<number | null>;
  netTxBytesPerSec: Array<number | null>;
  latest?: ContainerStats & { time: string };
}

/** GET /api/v1/hosts/NS/NAME/stats[?container=C&since=RFC3339|ms]. */
export interface HostStatsView {
  namespace: string;
  name: string;
  /** Seconds between two slots. */
  intervalSeconds: number;
  /** The host's cores (from its agent; 0 when unknown) — what cpuPercent is relative to. */
  hostCpus: number;
  /** Unix ms of every slot, oldest first. */
  t: number[];
  containers: ContainerStatsSeries[];
  /** The sums over the host's containers per slot (null: no container reported in that slot). */
  totals: Omit<ContainerStatsSeries, 'name' | 'latest'>;
}

/** Page feed event `stats`: the newest samples of one host, as they arrive. */
export interface PageStats {
  host: string;
  /** Unix ms of the slot. */
  t: number;
  intervalSeconds: number;
  containers: Array<{ name: string; cpuPercent: number; memoryBytes: number; memoryLimitBytes?: number; netRxBytesPerSec: number | null; netTxBytesPerSec: number | null }>;
}
