// Tools of the chaos tests: a seeded random source (so a failure can be replayed with its seed), a
// TCP proxy that cuts connections on demand, the chaos agent process, Docker's view of one host's
// managed containers, and a recorder of Docker's container events (to count what was really done).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { BackoffOptions } from '../../protocol/backoff.js';
import { BerthEnv, until, type HostView } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

// ---------------------------------------------------------------- seeded randomness

/** mulberry32: tiny, fast, good enough to drive a test, and fully determined by its seed. */
export class Rng {
  private state: number;
  constructor(readonly seed: number) { this.state = seed >>> 0; }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number { return min + Math.floor(this.next() * (max - min + 1)); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]!; }
  /** k distinct elements of xs. */
  sample<T>(xs: readonly T[], k: number): T[] {
    const copy = [...xs];
    for (let i = copy.length - 1; i > 0; i--) { const j = Math.floor(this.next() * (i + 1)); [copy[i], copy[j]] = [copy[j]!, copy[i]!]; }
    return copy.slice(0, Math.max(0, Math.min(k, copy.length)));
  }
}

/** The seed of this run: BERTH_CHAOS_SEED when set (to replay a failure), else random. Printed. */
export function chaosSeed(what: string): number {
  const fromEnv = process.env.BERTH_CHAOS_SEED;
  const seed = fromEnv ? Number(fromEnv) >>> 0 : Math.floor(Math.random() * 2 ** 32);
  console.log(`${what}: seed ${seed} (replay with BERTH_CHAOS_SEED=${seed})`);
  return seed;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- the cutting proxy

/**
 * A TCP proxy between agent and controller (the WebSocket passes through untouched). cut() ends
 * every connection open at that moment, abruptly: either both sides are destroyed (FIN), or the
 * agent's side is reset (RST) — the two ways a network path dies that a process can see at once.
 */
export class CutProxy {
  private server?: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; openedAt: number }>();
  connections = 0;
  cuts = 0;

  constructor(private readonly target: () => URL) {}

  async start(): Promise<string> {
    this.server = createServer((client) => {
      const t = this.target();
      const upstream = connect(Number(t.port), t.hostname);
      const pair = { client, upstream, openedAt: Date.now() };
      this.pairs.add(pair);
      this.connections++;
      const end = () => { this.pairs.delete(pair); client.destroy(); upstream.destroy(); };
      client.on('error', end); upstream.on('error', end);
      client.on('close', end); upstream.on('close', end);
      client.pipe(upstream); upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Connections currently open through the proxy. */
  get open(): number { return this.pairs.size; }

  /** End every open connection; returns how many were cut. */
  cut(mode: 'close' | 'reset'): number {
    let n = 0;
    for (const p of [...this.pairs]) {
      this.pairs.delete(p);
      if (mode === 'reset' && typeof p.client.resetAndDestroy === 'function') p.client.resetAndDestroy();
      else p.client.destroy();
      p.upstream.destroy();
      n++;
    }
    if (n) this.cuts++;
    return n;
  }

  async stop(): Promise<void> {
    this.cut('close');
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

// ---------------------------------------------------------------- the chaos agent

/**
 * Start the real agent (cli/agent.ts, in its own process) for `host`, dialling `url`, with the given
 * reconnect backoff. It joins env.agents, so env.cleanup() stops it.
 */
export async function startChaosAgent(env: BerthEnv, host: string, url: string, backoff: BackoffOptions, extraEnv: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const file = env.tokenFile(host);
  await until(`token file ${file}`, () => existsSync(file), 15_000);
  const child = spawn(process.execPath, [join(repoRoot, 'dist/test/chaos/agent-proc.js'), '--url', url, '--token-file', file, '--log-level', 'info'], {
    env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST'), BERTH_CHAOS_BACKOFF: JSON.stringify(backoff), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (c: Buffer) => { tail.push(c.toString()); if (tail.length > 400) tail.splice(0, 200); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  (child as ChildProcess & { tail?: string[] }).tail = tail;
  env.agents.set(host, child);
  return child;
}

// ---------------------------------------------------------------- desired state and Docker's view

/** Desired containers: name → generation (the GEN env value; a new generation means a new spec hash). */
export type Desired = Map<string, number>;

export function containersYaml(desired: Desired): string {
  if (desired.size === 0) return 'containers: []';
  return `containers:\n${[...desired].sort(([a], [b]) => a.localeCompare(b)).map(([name, gen]) => `- name: ${name}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  restartPolicy: Always
  command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
  env: [{ name: GEN, value: "${gen}" }]
  stopTimeoutSeconds: 1`).join('\n')}`;
}

export interface Seen { id: string; name: string; state: string; gen?: number }

/** Every container Docker has labelled for this host, with its berth.dev/name and GEN. */
export async function dockerView(env: BerthEnv, host: string): Promise<Seen[]> {
  const ids = (await docker(['ps', '-aq', '--no-trunc', '--filter', `label=berth.dev/host=${env.namespace}/${host}`])).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  // A container removed between the two calls only drops out of the inspect output.
  const r = await docker(['inspect', '--format', '{{.Id}}|{{index .Config.Labels "berth.dev/name"}}|{{.State.Status}}|{{range .Config.Env}}{{.}};{{end}}', ...ids]);
  return r.stdout.split('\n').filter(Boolean).map((line) => {
    const [id, name, state, envs] = line.split('|') as [string, string, string, string];
    const gen = /(?:^|;)GEN=(\d+);/.exec(envs)?.[1];
    return { id, name, state, ...(gen !== undefined ? { gen: Number(gen) } : {}) };
  });
}

export interface Convergence {
  ok: boolean;
  /** berth.dev/name values held by more than one container. */
  duplicates: string[];
  /** Containers whose berth.dev/name is not desired. */
  orphans: string[];
  /** Desired names without a running container of the desired generation. */
  pending: string[];
  statusOk: boolean;
  seen: Seen[];
}

type HostWithGen = HostView & { status: HostView['status'] & { observedGeneration?: number } };

/**
 * Converged = Docker runs exactly one container per desired name, of the desired generation, and
 * nothing else for this host; and the controller's status says Ready for the current generation.
 */
export async function convergence(env: BerthEnv, host: string, desired: Desired): Promise<Convergence> {
  const seen = await dockerView(env, host);
  const byName = new Map<string, Seen[]>();
  for (const s of seen) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const duplicates = [...byName].filter(([, xs]) => xs.length > 1).map(([n]) => n);
  const orphans = [...byName.keys()].filter((n) => !desired.has(n));
  const pending = [...desired].filter(([n, gen]) => { const xs = byName.get(n) ?? []; return !(xs.length === 1 && xs[0]!.state === 'running' && xs[0]!.gen === gen); }).map(([n]) => n);
  let statusOk = false;
  try {
    const h = await env.host(host) as HostWithGen | undefined;
    statusOk = !!h && h.status.observedGeneration === h.metadata.generation
      && h.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && h.status.ready === `${desired.size}/${desired.size}`;
  } catch { /* controller not serving (yet) */ }
  return { ok: duplicates.length === 0 && orphans.length === 0 && pending.length === 0 && statusOk, duplicates, orphans, pending, statusOk, seen };
}

/** Poll until converged; resolves with the elapsed ms, or throws naming what was left. Tracks the worst duplicate count seen. */
export async function waitConverged(env: BerthEnv, host: string, desired: Desired, timeoutMs: number, worst?: { duplicates: number }): Promise<number> {
  const start = Date.now();
  let last: Convergence | undefined;
  while (Date.now() - start < timeoutMs) {
    last = await convergence(env, host, desired);
    if (worst) worst.duplicates = Math.max(worst.duplicates, last.duplicates.length);
    if (last.ok) return Date.now() - start;
    if (process.env.BERTH_CHAOS_DEBUG) console.log(`    ${Date.now() - start} ms: pending ${last.pending.length}, orphans ${last.orphans.length}, status ok ${last.statusOk}`);
    await sleep(250);
  }
  throw new Error(`not converged after ${timeoutMs} ms: duplicates ${JSON.stringify(last?.duplicates)}, orphans ${JSON.stringify(last?.orphans)}, pending ${JSON.stringify(last?.pending)}, status ok ${last?.statusOk}\n${env.logs().slice(-3000)}`);
}

// ---------------------------------------------------------------- Docker events

export interface DockerEvent { action: string; id: string; name: string; timeMs: number }

/** Records Docker's container events for one host (by label), from now until stop(). */
export class EventLog {
  readonly events: DockerEvent[] = [];
  private child?: ChildProcess;

  async start(hostKey: string): Promise<void> {
    // --since now: dockerd replays what happened from this instant on, so nothing is missed while the
    // subscription is being set up (no sleep and hope it is up).
    const since = (Date.now() / 1000).toFixed(3);
    const child = spawn('docker', ['events', '--since', since, '--filter', 'type=container', '--filter', `label=berth.dev/host=${hostKey}`, '--format', '{{json .}}'], {
      env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        try {
          const e = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number };
          this.events.push({ action: String(e.Action ?? '').split(':')[0]!, id: e.Actor?.ID ?? '', name: e.Actor?.Attributes?.['berth.dev/name'] ?? '', timeMs: Math.floor((e.timeNano ?? 0) / 1e6) });
        } catch { /* not an event line */ }
      }
    });
  }

  /** How many `action` events each berth.dev/name had in [fromMs, toMs]. */
  count(action: string, fromMs = 0, toMs = Infinity): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.events) if (e.action === action && e.timeMs >= fromMs && e.timeMs <= toMs) out.set(e.name, (out.get(e.name) ?? 0) + 1);
    return out;
  }

  stop(): void { if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM'); }
}

/** Re-exported from test/support/metrics.ts (its home now): metric(env, name, labels), undefined when absent. */
export { metric } from '../support/metrics.js';

/** Where scenarios print their progress (console.log in tests and the long form). */
export type Log = (line: string) => void;
