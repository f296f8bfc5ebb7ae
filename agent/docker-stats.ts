// Sampling the resource use of this host's running managed containers from the Docker Engine.
// One-shot polling (GET /containers/{id}/stats?stream=false&one-shot=true, one request per container
// per interval) rather than one stats stream per container: a stream makes the Engine send — and the
// agent parse — a sample every second per container, ten times what a 10 s interval needs.
// bench/agent-footprint.ts --stats-modes measures both (docs/performance.md has the figures).
import Docker from 'dockerode';
import { silentLogger, type AgentLogger as Logger } from './logger.js';
import { byName } from './by-name.js';
import { LABELS } from '../protocol/container.js';
import type { ContainerStats } from '../protocol/stats.js';
import { orUndefinedOn404 } from './docker-errors.js';
import { toContainerStats, type ContainerLimits, type CpuCounters, type DockerStatsJson } from './stats-calc.js';

/** Where the agent gets its samples from (a simulated runtime may bring its own). */
export interface StatsSource {
  /** One sample of every running managed container of this host; never throws (Docker down: []). */
  sample(): Promise<ContainerStats[]>;
}

export interface DockerStatsOptions {
  hostKey: string;
  docker?: Docker;
  log?: Logger;
  /** Containers sampled at once (default 8). */
  concurrency?: number;
}

interface Known { limits: ContainerLimits; counters?: CpuCounters }

export class DockerStats implements StatsSource {
  private readonly docker: Docker;
  private readonly log: Logger;
  /** By container ID: its limits (inspected once) and its last CPU counters. */
  private readonly known = new Map<string, Known>();
  private warned = false;

  constructor(private readonly opts: DockerStatsOptions) {
    this.docker = opts.docker ?? new Docker();
    this.log = (opts.log ?? silentLogger).child({ component: 'stats' });
  }

  async sample(): Promise<ContainerStats[]> {
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.host}=${this.opts.hostKey}`], status: ['running'] } });
      this.warned = false;
    } catch (err) {
      if (!this.warned) this.log.warn({ err: (err as Error).message }, 'cannot list containers for stats; retrying every interval');
      this.warned = true;
      return [];
    }
    const live = new Set(list.map((c) => c.Id));
    for (const id of this.known.keys()) if (!live.has(id)) this.known.delete(id);   // gone: forget
    const out: ContainerStats[] = [];
    const queue = [...list];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const name = c.Labels?.[LABELS.name] ?? c.Names?.[0]?.replace(/^\//, '') ?? c.Id.slice(0, 12);
        try {
          const s = await this.one(c.Id, name);
          if (s) out.push(s);
        } catch (err) {
          this.log.debug({ container: name, err: (err as Error).message }, 'stats of one container failed; skipped this interval');
        }
      }
    };
    await Promise.all(Array.from({ length: this.opts.concurrency ?? 8 }, worker));
    return out.sort(byName);
  }

  private async one(id: string, name: string): Promise<ContainerStats | undefined> {
    const container = this.docker.getContainer(id);
    let known = this.known.get(id);
    if (!known) {
      const info = await orUndefinedOn404(() => container.inspect());
      if (!info) return undefined;
      const h = info.HostConfig ?? {};
      known = { limits: { nanoCpus: h.NanoCpus ?? 0, cpuQuota: h.CpuQuota ?? 0, cpuPeriod: h.CpuPeriod ?? 0, memoryBytes: h.Memory ?? 0 } };
      this.known.set(id, known);
    }
    const raw = await orUndefinedOn404(() => container.stats({ stream: false, 'one-shot': true } as { stream: false })) as DockerStatsJson | undefined;
    if (!raw) return undefined;
    const { stats, counters } = toContainerStats(name, raw, known.limits, known.counters);
    known.counters = counters;
    return stats;
  }
}
