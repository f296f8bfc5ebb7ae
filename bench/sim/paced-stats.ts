// A stats source that paces another (bench/scale only): sample() waits until PACE seconds after the
// previous sample. The agent's StatsReporter skips its ticks while a sample is in flight, so agents
// started at a short --stats-resolution (to fill the controller's window fast) can be slowed to the
// default rate afterwards without a new reporter or connection: the controller then gets frames at
// the rate a real fleet sends them while its history holds a full window.
import type { StatsSource } from '../../agent/docker-stats.js';
import type { ContainerStats } from '../../protocol/stats.js';

export class PacedStats implements StatsSource {
  private paceMs = 0;
  private last = 0;
  constructor(private readonly inner: StatsSource) {}

  /** From now on, at most one sample every SECONDS (0: no pacing). */
  pace(seconds: number): void { this.paceMs = seconds * 1000; }

  async sample(): Promise<ContainerStats[]> {
    const wait = this.last + this.paceMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.last = Date.now();
    return this.inner.sample();
  }
}
