// A SIMULATED container runtime, for benchmarks only (bench/scale): it implements the agent's
// ContainerRuntime interface with containers kept in memory, so one machine can run thousands of
// real agent clients (agent/client.ts, unchanged) against one real controller and measure the
// controller and hub at scale. It is never used by the product: nothing outside bench/ imports it.
//
// What it keeps realistic: every call takes a small delay of the size a local dockerd answers in
// (apply = create + start, remove = stop + remove, inventory = list + inspect); an apply of an
// unchanged spec only converges the run state; the host policy is enforced as the Docker runtime
// does; and every change fires the debounced watch callback, as Docker's event stream does, so the
// agent reports `observed` after its own actions exactly as it does on a real engine.
import { randomBytes } from 'node:crypto';
import type { ContainerSpec, DockerFacts, ObservedContainer } from '../../protocol/container.js';
import { policyViolations } from '../../protocol/policy.js';
import { debounce } from '../../agent/debounce.js';
import { RuntimeError, type ApplyContext, type ContainerRuntime, type Watch } from '../../agent/runtime.js';

export interface SimulatedDelays {
  /** [min, max) ms of an apply that creates or recreates a container (pull skipped: image present). */
  createMs: [number, number];
  /** [min, max) ms of an apply that only converges the run state, or finds nothing to do. */
  convergeMs: [number, number];
  removeMs: [number, number];
  inventoryMs: [number, number];
  /** Debounce of simulated engine events into one watch callback (the Docker runtime's default). */
  eventDebounceMs: number;
}

export const DEFAULT_DELAYS: SimulatedDelays = {
  createMs: [40, 120], convergeMs: [2, 10], removeMs: [20, 60], inventoryMs: [1, 5], eventDebounceMs: 250,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);

export class SimulatedRuntime implements ContainerRuntime {
  private readonly containers = new Map<string, ObservedContainer>();
  private readonly watchers = new Set<() => void>();
  private readonly delays: SimulatedDelays;

  constructor(readonly hostKey: string, delays: Partial<SimulatedDelays> = {}) {
    this.delays = { ...DEFAULT_DELAYS, ...delays };
  }

  /** How many containers this simulated engine runs (for the benchmark's own checks). */
  get size(): number { return this.containers.size; }

  /** Names of the running containers (what the simulated stats sample, as the real agent samples running ones). */
  running(): string[] { return [...this.containers.values()].filter((c) => c.state === 'running').map((c) => c.name); }

  dockerFacts(): Promise<DockerFacts> {
    return Promise.resolve({ ok: true, version: '27.0.0-simulated', cpus: 4, memoryBytes: 8 * 2 ** 30 });
  }

  async inventory(): Promise<ObservedContainer[]> {
    await sleep(between(this.delays.inventoryMs));
    return [...this.containers.values()].map((c) => ({ ...c }));
  }

  async apply(spec: ContainerSpec, ctx: ApplyContext): Promise<ObservedContainer> {
    const violations = policyViolations(spec, ctx.policy);
    if (violations.length) throw new RuntimeError('PolicyViolation', `refused by the host policy: ${violations.join('; ')}`);
    const existing = this.containers.get(spec.name);
    const now = new Date().toISOString();
    let next: ObservedContainer;
    if (existing && existing.specHash === spec.specHash) {
      await sleep(between(this.delays.convergeMs));
      const want = spec.state === 'Running' ? 'running' : 'exited';
      if (existing.state === want) return { ...existing };
      next = want === 'running'
        ? { ...existing, state: 'running', startedAt: now }
        : { ...existing, state: 'exited', finishedAt: now, exitCode: 0 };
    } else {
      await sleep(between(this.delays.createMs));
      next = {
        name: spec.name, containerID: randomBytes(32).toString('hex'), image: spec.image,
        imageID: `sha256:${randomBytes(32).toString('hex')}`,
        state: spec.state === 'Running' ? 'running' : 'created',
        health: 'none', restartCount: 0, specHash: spec.specHash, hostUid: ctx.hostUid,
        ...(spec.state === 'Running' ? { startedAt: now } : {}),
      };
    }
    this.containers.set(spec.name, next);
    this.changed();
    return { ...next };
  }

  async remove(name: string): Promise<void> {
    if (!this.containers.has(name)) return;
    await sleep(between(this.delays.removeMs));
    this.containers.delete(name);
    this.changed();
  }

  watch(onChange: () => void): Watch {
    const d = debounce(onChange, this.delays.eventDebounceMs);
    const fire = () => d.trigger();
    this.watchers.add(fire);
    return { close: () => { d.cancel(); this.watchers.delete(fire); } };
  }

  private changed(): void { for (const w of this.watchers) w(); }
}
