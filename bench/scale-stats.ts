// bench/scale's stats part: what the controller's per-container history costs at scale. The
// simulated agents send `stats` frames (the real StatsReporter, bench/sim/simulated-stats.ts); the
// controller runs with the DEFAULT NUMBER OF SLOTS (360) at a short resolution (1 s), so the ring is
// full after 6 minutes instead of an hour. That measures the same memory: the history's size is
// hosts × containers × slots × 6 bytes (+ the newest sample), independent of how many seconds a slot
// stands for — each host's ring is allocated at its full length on the first sample — and filling
// the window proves nothing grows after it. The cost of the faster frames (10× the default rate)
// shows in CPU and in garbage, not in the history. The extra RSS compares the median VmRSS of the
// steady window with the same of a run without stats in the same invocation, which waits as long.
/** Prometheus series → value, as bench/scale parses a scrape. */
type Metrics = Map<string, number>;

export interface StatsPlan {
  resolutionS: number;
  slots: number;
}

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

export interface StatsRow { hosts: number; withStats: boolean; steadyRss?: number; hwm: number; steadyCpuPct?: number; stats?: StatsOutcome }

/** The comparison table: each "with stats" run against the run without stats at the same host count. */
export function statsTable(rows: StatsRow[], perHost: number, plan: StatsPlan): string[] {
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const out = [
    `\nbench/scale — the stats history's extra controller RSS (${perHost} containers a host, ${plan.slots} slots at ${plan.resolutionS} s = the default 1 h at 10 s in slots)\n`,
    '| hosts | RSS without stats | RSS with stats | extra RSS | history typed arrays | slots filled | stats frames | steady CPU without → with |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const on of rows.filter((r) => r.withStats)) {
    const off = rows.find((r) => !r.withStats && r.hosts === on.hosts);
    const extra = off?.steadyRss !== undefined && on.steadyRss !== undefined ? mib(on.steadyRss - off.steadyRss) : '—';
    const cpu = `${off?.steadyCpuPct?.toFixed(1) ?? '—'} % → ${on.steadyCpuPct?.toFixed(1) ?? '—'} %`;
    out.push(`| ${on.hosts} | ${off?.steadyRss !== undefined ? mib(off.steadyRss) : '—'} | ${on.steadyRss !== undefined ? mib(on.steadyRss) : '—'} | **${extra}** | ${mib(on.stats?.historyBytes ?? 0)} | ${on.stats?.filledSlots ?? '?'}/${plan.slots} | ${on.stats?.frames ?? 0} | ${cpu} |`);
  }
  out.push('\nRSS: the median VmRSS over the steady window (both runs measured as long after start); budget (issue 16): the history ≤ 150 MiB at 5,000 × 10.');
  return out;
}
