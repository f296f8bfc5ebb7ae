// bench/scale's stats part: what the controller's per-container history costs at scale. The
// simulated agents send `stats` frames (the real StatsReporter, bench/sim/simulated-stats.ts); the
// controller runs with the DEFAULT NUMBER OF SLOTS (360) at a short resolution (1 s), so the ring is
// full after 6 minutes instead of an hour. That measures the same memory: the history's size is
// containers × slots × 5 bytes (+ the newest sample), whatever a slot stands for — a container's row
// is allocated at its full length on its first sample — and filling the window proves nothing grows
// after it. The faster frames (10× the default rate) cost garbage, not history: so the run measures
// twice — over the last minute of the fill (frames every 1 s) and after slowing every agent to the
// default 10 s (bench/sim/paced-stats.ts) with the window still full — and compares each with a run
// without stats in the same invocation that waits as long. Besides the RSS (noisy: a 1 GiB heap's
// GC saw-tooth moves it by ±100 MiB) it prints the quiet figures: the history's own count
// (berth_stats_history_bytes, exact) and the growth of external memory (where typed arrays live).
/** Prometheus series → value, as bench/scale parses a scrape. */
type Metrics = Map<string, number>;

export interface StatsPlan {
  resolutionS: number;
  slots: number;
}

/** The agents' frame interval once the window is full: the agent's default --stats-interval. */
export const PACED_INTERVAL_S = 10;

export function statsControllerArgs(plan: StatsPlan): string[] {
  return ['--stats-resolution', String(plan.resolutionS), '--stats-history', String(plan.resolutionS * plan.slots)];
}

export interface StatsOutcome {
  /** berth_stats_history_bytes: the typed arrays. */
  historyBytes: number;
  /** Points with a value in one container's series of one host (== slots when the window is full). */
  filledSlots?: number;
  frames: number;
}

/** Points with a value in the first container's CPU series of HOST (the window's fill), via the API. */
export async function filledSlots(url: string, ns: string, host: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/api/v1/hosts/${ns}/${host}/stats`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return undefined;
    const view = await res.json() as { containers: Array<{ cpuPercent: Array<number | null> }> };
    return view.containers[0]?.cpuPercent.filter((v) => v !== null).length;
  } catch { return undefined; }
}

export function historyBytes(m: Metrics | undefined): number { return m?.get('berth_stats_history_bytes') ?? 0; }

/** One reading of the controller's memory: VmRSS and, from its /metrics, V8's heap used and external memory. */
export interface MemorySample { rss: number; heap?: number; external?: number }
export interface MemoryMedians { rss: number; heap?: number; external?: number; samples: number }

export function memoryOf(rss: number, m: Metrics | undefined): MemorySample {
  const heap = m?.get('nodejs_heap_size_used_bytes'); const external = m?.get('nodejs_external_memory_bytes');
  return { rss, ...(heap !== undefined ? { heap } : {}), ...(external !== undefined ? { external } : {}) };
}

function median(xs: number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Medians of each figure over SAMPLES (one reading lands anywhere in the GC's saw-tooth). */
export function medians(samples: MemorySample[]): MemoryMedians | undefined {
  const rss = median(samples.map((s) => s.rss));
  if (rss === undefined) return undefined;
  const heap = median(samples.flatMap((s) => (s.heap !== undefined ? [s.heap] : [])));
  const external = median(samples.flatMap((s) => (s.external !== undefined ? [s.external] : [])));
  return { rss, ...(heap !== undefined ? { heap } : {}), ...(external !== undefined ? { external } : {}), samples: samples.length };
}

/**
 * Wait until END (ms) for the window to fill: READ every 30 s (its line logged), and every 5 s over
 * the last minute, whose readings' medians are returned.
 */
export async function fillWindow(end: number, read: () => Promise<{ memory: MemorySample; line: string }>, log: (line: string) => void): Promise<MemoryMedians | undefined> {
  const readings: MemorySample[] = [];
  let logged = Date.now();
  while (Date.now() < end) {
    const left = end - Date.now();
    await new Promise((resolve) => setTimeout(resolve, left > 60_000 ? Math.min(30_000, left - 60_000) : Math.min(5_000, left)));
    const r = await read();
    if (end - Date.now() < 60_000) readings.push(r.memory);
    if (Date.now() - logged >= 30_000) { logged = Date.now(); log(r.line); }
  }
  return medians(readings);
}

export interface StatsRow {
  hosts: number; withStats: boolean; steadyRss?: number; hwm: number; steadyCpuPct?: number; stats?: StatsOutcome;
  /** Over the last minute of the fill: frames every --stats-resolution. */
  filling?: MemoryMedians;
  /** After slowing the agents to PACED_INTERVAL_S, window still full. */
  paced?: MemoryMedians;
}

/** The comparison table: each "with stats" run against the run without stats at the same host count. */
export function statsTable(rows: StatsRow[], perHost: number, plan: StatsPlan): string[] {
  const mib = (b: number | undefined) => (b === undefined ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`);
  const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  const fast = `frames every ${plan.resolutionS} s`; const paced = `frames every ${PACED_INTERVAL_S} s`;
  const out = [
    `\nbench/scale — the stats history's extra controller memory (${perHost} containers a host, ${plan.slots} slots at ${plan.resolutionS} s = the default 1 h at 10 s in slots; each figure: with stats − without, medians)\n`,
    `| hosts | history (berth_stats_history_bytes) | extra external memory, ${paced} | extra RSS, ${paced} | extra heap used, ${paced} | extra RSS, ${fast} | extra heap used, ${fast} | RSS without → with, ${paced} | slots filled | stats frames | steady CPU without → with |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const on of rows.filter((r) => r.withStats)) {
    const off = rows.find((r) => !r.withStats && r.hosts === on.hosts);
    const cpu = `${off?.steadyCpuPct?.toFixed(1) ?? '—'} % → ${on.steadyCpuPct?.toFixed(1) ?? '—'} %`;
    out.push(`| ${on.hosts} | **${mib(on.stats?.historyBytes ?? 0)}** | ${mib(diff(on.paced?.external, off?.paced?.external))} | **${mib(diff(on.paced?.rss, off?.paced?.rss))}** | ${mib(diff(on.paced?.heap, off?.paced?.heap))} | ${mib(diff(on.filling?.rss, off?.filling?.rss))} | ${mib(diff(on.filling?.heap, off?.filling?.heap))} | ${mib(off?.paced?.rss)} → ${mib(on.paced?.rss)} | ${on.stats?.filledSlots ?? '?'}/${plan.slots} | ${on.stats?.frames ?? 0} | ${cpu} |`);
  }
  out.push(`\nBudget (issue 16): the history ≤ 150 MiB at 5,000 × 10. RSS and heap medians of readings every few seconds; "${fast}" is 10× the default frame rate (its garbage is the frames', not the history's).`);
  return out;
}
