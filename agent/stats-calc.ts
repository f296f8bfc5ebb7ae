// Turning one Engine stats answer (GET /containers/{id}/stats?stream=false&one-shot=true) into a
// ContainerStats sample. Pure. The Engine's JSON differs between cgroup v1 and v2 hosts, and the
// differences are where other tools go wrong (Nomad reads v1-only keys and reports 0 on v2):
//  - working set = usage − inactive file pages: v1 names it `total_inactive_file` (hierarchical),
//    v2 `inactive_file`; `cache`/`rss` exist only on v1 and are never used here;
//  - block I/O ops are "Read"/"Write" on v1 and "read"/"write" on v2;
//  - `percpu_usage` is absent on v2 (online_cpus is the count on both).
// One-shot answers have an empty `precpu_stats`, so CPU is computed against the previous sample of
// the same container (kept by the caller): over the whole interval, not over the Engine's last second.
import type { ContainerStats } from '../protocol/stats.js';

/** The parts of the Engine's stats JSON read here (everything optional: engines differ). */
export interface DockerStatsJson {
  read?: string;
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

/** The container's declared limits (from inspect's HostConfig). */
export interface ContainerLimits { nanoCpus?: number; cpuQuota?: number; cpuPeriod?: number; memoryBytes?: number }

/** The cumulative CPU counters of one sample: the baseline of the next. */
export interface CpuCounters { containerNs: number; systemNs: number }

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** Memory working set: usage minus inactive file cache, v1 or v2 (never below 0, never the cache-inclusive usage on v2). */
export function workingSetBytes(mem: DockerStatsJson['memory_stats']): number {
  const usage = num(mem?.usage);
  const stats = mem?.stats ?? {};
  // v1 first: its `inactive_file` is the cgroup's own, `total_inactive_file` includes children.
  const inactive = 'total_inactive_file' in stats ? num(stats.total_inactive_file) : num(stats.inactive_file);
  return inactive < usage ? usage - inactive : usage;
}

/** Cores the container may use, or undefined without a limit. */
export function cpuLimitCores(l: ContainerLimits): number | undefined {
  if (num(l.nanoCpus) > 0) return num(l.nanoCpus) / 1e9;
  if (num(l.cpuQuota) > 0) return num(l.cpuQuota) / (num(l.cpuPeriod) || 100_000);
  return undefined;
}

function blockBytes(blkio: DockerStatsJson['blkio_stats']): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const e of blkio?.io_service_bytes_recursive ?? []) {
    const op = (e.op ?? '').toLowerCase();
    if (op === 'read') read += num(e.value);
    else if (op === 'write') write += num(e.value);
  }
  return { read, write };
}

/**
 * The sample of NAME from RAW. PREVIOUS: the counters of this container's last sample (undefined:
 * the first one — CPU then comes from the Engine's precpu if it sent one, else 0).
 */
export function toContainerStats(name: string, raw: DockerStatsJson, limits: ContainerLimits, previous?: CpuCounters): { stats: ContainerStats; counters: CpuCounters } {
  const counters: CpuCounters = { containerNs: num(raw.cpu_stats?.cpu_usage?.total_usage), systemNs: num(raw.cpu_stats?.system_cpu_usage) };
  const base: CpuCounters | undefined = previous ?? (num(raw.precpu_stats?.system_cpu_usage) > 0
    ? { containerNs: num(raw.precpu_stats?.cpu_usage?.total_usage), systemNs: num(raw.precpu_stats?.system_cpu_usage) }
    : undefined);
  let cpuPercent = 0;
  if (base) {
    const cpu = counters.containerNs - base.containerNs;
    const system = counters.systemNs - base.systemNs;
    // A restarted container's counter goes back to 0: no sample this time, rather than a negative one.
    if (cpu > 0 && system > 0) cpuPercent = Math.min(100, (cpu / system) * 100);
  }
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(raw.networks ?? {})) { netRx += num(n.rx_bytes); netTx += num(n.tx_bytes); }
  const block = blockBytes(raw.blkio_stats);
  const cores = cpuLimitCores(limits);
  const stats: ContainerStats = {
    name, cpuPercent,
    ...(cores !== undefined ? { cpuLimitCores: cores } : {}),
    memoryBytes: workingSetBytes(raw.memory_stats),
    ...(num(limits.memoryBytes) > 0 ? { memoryLimitBytes: num(limits.memoryBytes) } : {}),
    netRxBytes: netRx, netTxBytes: netTx, blockReadBytes: block.read, blockWriteBytes: block.write,
    pids: Math.trunc(num(raw.pids_stats?.current)),
  };
  return { stats, counters };
}
