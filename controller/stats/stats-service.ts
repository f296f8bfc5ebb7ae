// Wires the agents' `stats` frames into the history, the page feed and (with --container-metrics)
// Prometheus gauges. Samples of hosts the store does not know are dropped (a deleted host's agent
// still connected); a deleted host's history is forgotten.
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { HubNotifications } from '../hub/hub.js';
import type { PageStats } from '../../protocol/stats.js';
import { StatsHistory, type StatsHistoryOptions } from './history.js';

export interface StatsServiceOptions extends StatsHistoryOptions {
  /** Whether HOSTKEY is a declared ContainerHost. */
  isDeclared: (hostKey: string) => boolean;
  /** The host's cores as its agent reported them (undefined: unknown). */
  hostCpus: (hostKey: string) => number | undefined;
  /** Where new samples go for the page (the page feed). */
  onSample?: (sample: PageStats) => void;
  registry: Registry;
  /** Per-container gauges (docs/stats.md: one series per host × container × gauge). */
  containerMetrics?: boolean;
  logger?: Logger;
  now?: () => number;
}

interface HubSource { on<K extends 'stats'>(event: K, listener: (...args: HubNotifications[K]) => void): unknown }

export class StatsService {
  readonly history: StatsHistory;
  private readonly cpus = new Map<string, number>();

  constructor(private readonly opts: StatsServiceOptions) {
    this.history = new StatsHistory(opts);
    const history = this.history;
    new Gauge({
      name: 'berth_stats_history_bytes', help: 'Memory held by the per-container resource history (typed arrays)', registers: [opts.registry],
      collect() { this.set(history.bytes); },
    });
    if (opts.containerMetrics) this.containerGauges(opts.registry);
  }

  /** Listen to the hub's `stats` notifications. */
  attach(hub: HubSource): void {
    const opts = this.opts;
    hub.on('stats', (hostKey, frame) => {
      if (!opts.isDeclared(hostKey)) return;
      const cpus = opts.hostCpus(hostKey);
      if (cpus) this.cpus.set(hostKey, cpus);
      const sample = this.history.record(hostKey, frame, (opts.now ?? Date.now)());
      opts.onSample?.(sample);
    });
  }

  /** Cores of HOSTKEY as last reported (0: unknown). */
  hostCpusOf(hostKey: string): number { return this.opts.hostCpus(hostKey) ?? this.cpus.get(hostKey) ?? 0; }

  forget(hostKey: string): void { this.history.forget(hostKey); this.cpus.delete(hostKey); }

  /** Filled at scrape time from the newest samples: a container that stops reporting drops out, no stale series. */
  private containerGauges(registry: Registry): void {
    const labelNames = ['namespace', 'host', 'container'] as const;
    const history = this.history;
    const gauges = {
      cpu: new Gauge({ name: 'berth_container_cpu_percent', help: 'CPU used over the last sample, percent of the whole host', labelNames, registers: [registry] }),
      mem: new Gauge({ name: 'berth_container_memory_working_set_bytes', help: 'Memory working set (usage minus inactive file cache)', labelNames, registers: [registry] }),
      limit: new Gauge({ name: 'berth_container_memory_limit_bytes', help: 'Memory limit (absent without one)', labelNames, registers: [registry] }),
      rx: new Gauge({ name: 'berth_container_network_receive_bytes_per_second', help: 'Network bytes received per second over the last sample', labelNames, registers: [registry] }),
      tx: new Gauge({ name: 'berth_container_network_transmit_bytes_per_second', help: 'Network bytes sent per second over the last sample', labelNames, registers: [registry] }),
      pids: new Gauge({ name: 'berth_container_pids', help: 'Processes and threads in the container', labelNames, registers: [registry] }),
    };
    // One collect fills all six (prom-client calls each gauge's collect; the first refreshes them all).
    let filledAt = -1;
    const fill = () => {
      const now = Date.now();
      if (now - filledAt < 100) return;
      filledAt = now;
      for (const g of Object.values(gauges)) g.reset();
      for (const s of history.latestSamples()) {
        const slash = s.hostKey.indexOf('/');
        const l = { namespace: s.hostKey.slice(0, slash), host: s.hostKey.slice(slash + 1), container: s.stats.name };
        gauges.cpu.set(l, s.stats.cpuPercent);
        gauges.mem.set(l, s.stats.memoryBytes);
        if (s.stats.memoryLimitBytes !== undefined) gauges.limit.set(l, s.stats.memoryLimitBytes);
        if (s.netRxBytesPerSec !== null) gauges.rx.set(l, s.netRxBytesPerSec);
        if (s.netTxBytesPerSec !== null) gauges.tx.set(l, s.netTxBytesPerSec);
        gauges.pids.set(l, s.stats.pids);
      }
    };
    for (const g of Object.values(gauges)) (g as unknown as { collect: () => void }).collect = fill;
  }
}
