// Sends a `stats` frame every interval while connected. Single-flight: a slow Engine makes the
// agent skip a beat, never pile up requests. The first sample after a (re)connect only sets the CPU
// baseline for containers seen for the first time; it is sent all the same (memory, network are valid).
import type { AgentLogger as Logger } from './logger.js';
import type { StatsFrame } from '../protocol/frames.js';
import { MAX_STATS_CONTAINERS } from '../protocol/stats.js';
import type { StatsSource } from './docker-stats.js';

export class StatsReporter {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private send: ((frame: StatsFrame) => void) | undefined;
  /** Frames sent (for tests and the footprint bench). */
  sent = 0;

  constructor(private readonly source: StatsSource, readonly intervalSeconds: number, private readonly log?: Logger) {}

  start(send: (frame: StatsFrame) => void): void {
    this.stop();
    this.send = send;
    void this.tick();
    this.timer = setInterval(() => { void this.tick(); }, this.intervalSeconds * 1000);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.send = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.send) return;
    this.busy = true;
    try {
      const containers = (await this.source.sample()).slice(0, MAX_STATS_CONTAINERS);
      this.send?.({ type: 'stats', intervalSeconds: this.intervalSeconds, containers });
      this.sent++;
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'sampling container stats failed');
    } finally {
      this.busy = false;
    }
  }
}
