// One process of simulated agents for bench/scale: the REAL agent client (agent/client.ts, with its
// real backoff, pings, resyncs and executor) for each of the hosts it is given, each with its own
// SimulatedRuntime instead of Docker. Run by bench/scale.ts with child_process.fork, so the agents'
// CPU never counts as the controller's.
//
// Protocol with the parent (IPC): it sends `{ type: 'start', config }`; we send `{ type: 'stats' }`
// every second and `{ type: 'stopped' }` after a `{ type: 'stop' }`; `{ type: 'stats-pace' }` slows the agents' stats frames. A lost parent stops us too, so a
// killed benchmark never leaves agents behind.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { AgentClient } from '../../agent/client.js';
import { StatsReporter } from '../../agent/stats-reporter.js';
import { SimulatedRuntime } from './simulated-runtime.js';
import { PacedStats } from './paced-stats.js';
import { SimulatedStats } from './simulated-stats.js';

export interface WorkerConfig {
  url: string;
  /** Host keys "<namespace>/<name>" this worker serves. */
  hosts: string[];
  /** <dir>/<namespace>/<name>-agent-token.token is each agent's token file (the controller, or the parent, writes it). */
  tokenRoot: string;
  /** Seconds between two `stats` frames of each agent (the real agent's StatsReporter); absent: no stats. */
  statsIntervalSeconds?: number;
}

export interface WorkerStats {
  type: 'stats';
  agents: number;
  /** Agents whose hello went out on an open socket. */
  connected: number;
  connects: number;
  actions: number;
  failedActions: number;
  containers: number;
  /** `stats` frames sent by this worker's agents. */
  statsFrames: number;
  /** Disconnects seen, by close code or HTTP status ("http-401", "1006", ...). */
  disconnects: Record<string, number>;
}

/** `stats-pace`: from now on each agent sends at most one `stats` frame every SECONDS (bench/sim/paced-stats.ts). */
export type ParentMessage = { type: 'start'; config: WorkerConfig } | { type: 'stop' } | { type: 'stats-pace'; seconds: number };

/**
 * Tokens appear one by one as the controller mints them. One directory listing per namespace every
 * 250 ms answers every waiting agent, instead of thousands of agents each polling its own file.
 */
class TokenFiles {
  private readonly waiting = new Map<string, Array<() => void>>();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly root: string) {}

  path(hostKey: string): string {
    const [ns, name] = hostKey.split('/') as [string, string];
    return join(this.root, ns, `${name}-agent-token.token`);
  }

  async read(hostKey: string): Promise<string> {
    const file = this.path(hostKey);
    if (!existsSync(file)) {
      await new Promise<void>((resolve) => {
        const list = this.waiting.get(file) ?? [];
        list.push(resolve);
        this.waiting.set(file, list);
        this.timer ??= setInterval(() => this.poll(), 250);
      });
    }
    return readFileSync(file, 'utf8');
  }

  private poll(): void {
    const present = new Set<string>();
    for (const dir of new Set([...this.waiting.keys()].map((f) => f.slice(0, f.lastIndexOf('/'))))) {
      try { for (const f of readdirSync(dir)) present.add(join(dir, f)); } catch { /* not there yet */ }
    }
    for (const [file, resolvers] of this.waiting) {
      if (!present.has(file)) continue;
      this.waiting.delete(file);
      for (const r of resolvers) r();
    }
    if (this.waiting.size === 0) { clearInterval(this.timer); this.timer = undefined; }
  }
}

function run(config: WorkerConfig): void {
  const log = pino({ level: 'silent' });
  const tokens = new TokenFiles(config.tokenRoot);
  const disconnects: Record<string, number> = {};
  const agents = config.hosts.map((hostKey) => {
    const runtime = new SimulatedRuntime(hostKey);
    const source = new PacedStats(new SimulatedStats(runtime));
    const stats = config.statsIntervalSeconds ? new StatsReporter(source, config.statsIntervalSeconds) : undefined;
    const client = new AgentClient({
      url: config.url, runtime, log, ...(stats ? { stats } : {}),
      token: () => tokens.read(hostKey),
      agent: { version: 'bench-sim', hostname: hostKey.replace('/', '-'), os: 'linux', arch: 'x64' },
    });
    client.on('disconnected', (d: { code: number; httpStatus?: number }) => {
      const k = d.httpStatus !== undefined ? `http-${d.httpStatus}` : String(d.code);
      disconnects[k] = (disconnects[k] ?? 0) + 1;
    });
    client.start();
    return { client, runtime, stats, source };
  });

  const report = () => {
    let connected = 0; let connects = 0; let actions = 0; let failedActions = 0; let containers = 0; let statsFrames = 0;
    for (const { client, runtime, stats } of agents) {
      statsFrames += stats?.sent ?? 0;
      if (client.connected) connected++;
      connects += client.stats.connects;
      actions += client.stats.actions;
      failedActions += client.stats.failedActions;
      containers += runtime.size;
    }
    const stats: WorkerStats = { type: 'stats', agents: agents.length, connected, connects, actions, failedActions, containers, statsFrames, disconnects: { ...disconnects } };
    try { process.send?.(stats); } catch { /* the parent is gone; 'disconnect' stops us */ }
  };
  const ticker = setInterval(report, 1000);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(ticker);
    await Promise.all(agents.map(({ client }) => client.stop(2_000)));
    try { process.send?.({ type: 'stopped' }); } catch { /* the parent is gone */ }
    process.exit(0);
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') void stop();
    if (m.type === 'stats-pace') for (const a of agents) a.source.pace(m.seconds);
  });
  process.on('disconnect', () => { void stop(); });
}

process.once('message', (m: ParentMessage) => {
  if (m.type === 'start') run(m.config);
});
