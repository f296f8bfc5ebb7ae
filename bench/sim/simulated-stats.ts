// Container stats for the SIMULATED runtime (bench/scale only): the agent's StatsSource interface,
// answered from the simulated engine's running containers with plausible values — a little CPU, a
// working set of tens of MiB, growing network and block counters — so the real StatsReporter sends
// real `stats` frames of the real agent's shape and size, and the controller's history does its real work.
import type { ContainerStats } from '../../protocol/stats.js';
import type { StatsSource } from '../../agent/docker-stats.js';

export interface RunningContainers { running(): string[] }

export class SimulatedStats implements StatsSource {
  private readonly counters = new Map<string, { rx: number; tx: number; read: number; write: number }>();
  constructor(private readonly runtime: RunningContainers) {}

  sample(): Promise<ContainerStats[]> {
    const names = this.runtime.running();
    for (const n of this.counters.keys()) if (!names.includes(n)) this.counters.delete(n);
    return Promise.resolve(names.map((name) => {
      const c = this.counters.get(name) ?? { rx: 0, tx: 0, read: 0, write: 0 };
      c.rx += Math.round(Math.random() * 20_000); c.tx += Math.round(Math.random() * 10_000);
      c.read += Math.round(Math.random() * 4096); c.write += Math.round(Math.random() * 8192);
      this.counters.set(name, c);
      return {
        name, cpuPercent: Math.random() * 5, memoryBytes: Math.round((20 + Math.random() * 40) * 2 ** 20), memoryLimitBytes: 256 * 2 ** 20,
        netRxBytes: c.rx, netTxBytes: c.tx, blockReadBytes: c.read, blockWriteBytes: c.write, pids: 1 + Math.floor(Math.random() * 4),
      };
    }));
  }
}
