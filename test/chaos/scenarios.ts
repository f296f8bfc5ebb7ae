// The chaos scenarios, parameterised so that the same code runs as the short form inside `npm test`
// (test/chaos/*.test.ts) and as the long form (`npm run chaos`, test/chaos/long.ts). Each builds its
// own Berth installation (real controller process, real agent process, the bed's dockerd), measures,
// cleans up, and returns figures; the callers assert on them.
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { docker, restartDockerDaemon } from '../support/docker.js';
import { containersYaml, convergence, CutProxy, EventLog, metric, Rng, sleep, startChaosAgent, waitConverged, type Desired, type Log } from './support.js';

/**
 * Agent reconnect pacing for the kill rounds (see agent-proc.ts): the design's base and cap, but a
 * connection that lived 1 s (not 60 s) resets the attempts — each round models a restart of a
 * controller whose agent had been connected for a good while, not a restart loop.
 */
const KILL_BACKOFF = { baseMs: 500, capMs: 30_000, stableMs: 1_000 };
/** Connection cuts come every second or so: keep the agent's retries short. */
const CUT_BACKOFF = { baseMs: 100, capMs: 1_000, stableMs: 60_000 };



/** Names c00.. of this env. */
const names = (env: BerthEnv, n: number, from = 0) => Array.from({ length: n }, (_, i) => env.name(`c${String(from + i).padStart(2, '0')}`));

/** What changed between two desired states: names to be (re)created and names to be removed. */
function diff(before: Desired, after: Desired): { created: Set<string>; removed: Set<string> } {
  const created = new Set([...after].filter(([n, g]) => before.get(n) !== g).map(([n]) => n));
  const removed = new Set([...before.keys()].filter((n) => !after.has(n)));
  return { created, removed };
}

/** Per name: actual event count vs expected (1 for expected names, 0 for all others). Returns the mismatches. */
function unexpected(counts: Map<string, number>, expected: Set<string>, universe: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const n of new Set([...universe, ...counts.keys()])) {
    const want = expected.has(n) ? 1 : 0;
    const got = counts.get(n) ?? 0;
    if (got !== want) bad.push(`${n}: ${got} (expected ${want})`);
  }
  return bad;
}

// ---------------------------------------------------------------- SIGKILL the controller

export interface KillRound {
  round: number; changed: number; removed: number; killAfterMs: number;
  /** From the restart (spawn) to: the controller serving, its agent connected, converged. */
  servingMs: number; agentBackMs: number; restartToConvergedMs: number;
  duplicates: number; orphans: number; repeatedActions: string[];
}
export interface KillOptions { rounds: number; containers: number; seed: number; log?: Log }

/**
 * Rounds of: change the spec (some containers get a new generation, some leave, some come back),
 * SIGKILL the controller at a random moment of the resulting reconcile, restart it, and measure the
 * time from the restart to converged. Docker events prove each change was applied exactly once.
 */
export async function controllerKills(o: KillOptions): Promise<KillRound[]> {
  const rng = new Rng(o.seed);
  const log = o.log ?? (() => {});
  const env = new BerthEnv();
  const host = 'box';
  const events = new EventLog();
  const out: KillRound[] = [];
  try {
    const pool = names(env, Math.ceil(o.containers * 1.2));
    let desired: Desired = new Map(pool.slice(0, o.containers).map((n) => [n, 0]));
    env.write('box.yaml', env.hostYaml(host, containersYaml(desired)));
    await env.startController();
    await startChaosAgent(env, host, env.url.replace(/^http/, 'ws'), KILL_BACKOFF);
    const initialMs = await waitConverged(env, host, desired, 180_000);
    log(`  initial: ${desired.size} containers converged in ${initialMs} ms`);
    await events.start(`${env.namespace}/${host}`);

    for (let round = 1; round <= o.rounds; round++) {
      // About a quarter of the containers change generation; a few leave or come back; size stays ~N.
      const next: Desired = new Map();
      for (const n of pool) {
        const cur = desired.get(n);
        if (cur === undefined) { if (next.size < o.containers && rng.chance(0.5)) next.set(n, round); continue; }
        if (rng.chance(0.08)) continue;                       // leaves the spec
        next.set(n, rng.chance(0.25) ? round : cur);          // new generation = recreate
      }
      const { created, removed } = diff(desired, next);
      const roundStart = Date.now();
      env.write('box.yaml', env.hostYaml(host, containersYaml(next)));
      // Anywhere from "before the controller noticed the file" to "well into the work".
      const killAfterMs = rng.int(0, 400 + 120 * (created.size + removed.size));
      await sleep(killAfterMs);
      await env.kill(env.controller, 'SIGKILL');
      const restartAt = Date.now();
      await env.startController();
      const servingMs = Date.now() - restartAt;
      const agentBack = until('agent connected', async () => (await metric(env, 'berth_hub_connected_agents')) === 1 ? Date.now() - restartAt : undefined, 60_000, 100);
      const worst = { duplicates: 0 };
      await waitConverged(env, host, next, 60_000, worst);
      const agentBackMs = await agentBack;
      const restartToConvergedMs = Date.now() - restartAt;
      await sleep(1_000);   // a late duplicate action would show up here
      const settled = await convergence(env, host, next);
      const end = Date.now();
      const repeated = [
        ...unexpected(events.count('create', roundStart, end), created, pool).map((s) => `create ${s}`),
        ...unexpected(events.count('destroy', roundStart, end), new Set([...removed, ...[...created].filter((n) => desired.has(n))]), pool).map((s) => `destroy ${s}`),
      ];
      const r: KillRound = {
        round, changed: created.size, removed: removed.size, killAfterMs, servingMs, agentBackMs, restartToConvergedMs,
        duplicates: Math.max(worst.duplicates, settled.duplicates.length), orphans: settled.orphans.length, repeatedActions: repeated,
      };
      log(`  round ${round}: ${created.size} to create, ${removed.size} to remove; killed after ${killAfterMs} ms; after the restart: serving ${servingMs} ms, agent back ${agentBackMs} ms, converged ${restartToConvergedMs} ms; duplicates ${r.duplicates}, orphans ${r.orphans}${repeated.length ? `; unexpected: ${repeated.join(', ')}` : ''}`);
      out.push(r);
      desired = next;
    }
    return out;
  } finally {
    events.stop();
    await env.cleanup();
  }
}

// ---------------------------------------------------------------- cut the agent's connection

export interface CutOptions { cuts: number; containers: number; seed: number; log?: Log }
export interface CutReport {
  cuts: number; connections: number; convergedAfterLastCutMs: number;
  changed: number; removed: number; unchanged: number;
  /** Per-container event counts that differ from "exactly once for what changed, never for the rest". */
  repeatedActions: string[];
  /** Unchanged containers whose ID changed. */
  replacedUnchanged: string[];
  duplicates: number; orphans: number;
}

/**
 * The agent reaches the controller through a proxy that cuts the connection at random moments while
 * two waves of spec changes are being applied. Afterwards: converged, every changed container was
 * created and started exactly once, every removed one destroyed once, and the unchanged ones were
 * never touched (same ID, no events).
 */
export async function connectionCuts(o: CutOptions): Promise<CutReport> {
  const rng = new Rng(o.seed);
  const log = o.log ?? (() => {});
  const env = new BerthEnv();
  const host = 'box';
  const events = new EventLog();
  let proxy: CutProxy | undefined;
  try {
    const pool = names(env, o.containers + 4);
    const initial: Desired = new Map(pool.slice(0, o.containers).map((n) => [n, 0]));
    env.write('box.yaml', env.hostYaml(host, containersYaml(initial)));
    await env.startController();
    proxy = new CutProxy(() => new URL(env.url));
    const proxyUrl = await proxy.start();
    await startChaosAgent(env, host, proxyUrl, CUT_BACKOFF);
    await waitConverged(env, host, initial, 180_000);
    const before = new Map((await convergence(env, host, initial)).seen.map((s) => [s.name, s.id]));
    await events.start(`${env.namespace}/${host}`);
    const started = Date.now();

    // Two disjoint waves: wave 1 at the start, wave 2 halfway through the cuts.
    const present = pool.slice(0, o.containers);
    const [removedNames, wave1, wave2] = [rng.sample(present, 2), [] as string[], [] as string[]];
    const rest = rng.sample(present.filter((n) => !removedNames.includes(n)), present.length);
    const k = Math.max(1, Math.round(o.containers / 5));
    wave1.push(...rest.slice(0, k), ...pool.slice(o.containers, o.containers + 2));         // changed + added
    wave2.push(...rest.slice(k, 2 * k), ...pool.slice(o.containers + 2, o.containers + 4));
    const desired1: Desired = new Map([...initial].filter(([n]) => !removedNames.includes(n)));
    for (const n of wave1) desired1.set(n, 1);
    const desired2: Desired = new Map(desired1);
    for (const n of wave2) desired2.set(n, 2);
    env.write('box.yaml', env.hostYaml(host, containersYaml(desired1)));

    for (let i = 0; i < o.cuts; i++) {
      const waitStart = Date.now();
      while (proxy.open === 0 && Date.now() - waitStart < 20_000) await sleep(20);
      if (proxy.open === 0) throw new Error(`the agent did not reconnect within 20 s after cut ${i}`);
      await sleep(rng.int(30, 1_200));     // sometimes during the handshake, sometimes mid-action
      if (i === Math.floor(o.cuts / 2)) env.write('box.yaml', env.hostYaml(host, containersYaml(desired2)));
      proxy.cut(rng.chance(0.5) ? 'reset' : 'close');
    }
    const lastCut = Date.now();
    const convergedAfterLastCutMs = await waitConverged(env, host, desired2, 90_000);
    await sleep(1_000);
    const settled = await convergence(env, host, desired2);
    const end = Date.now();

    const created = new Set([...wave1, ...wave2]);
    const recreated = new Set([...created].filter((n) => initial.has(n)));
    const repeatedActions = [
      ...unexpected(events.count('create', started, end), created, pool).map((s) => `create ${s}`),
      ...unexpected(events.count('start', started, end), created, pool).map((s) => `start ${s}`),
      ...unexpected(events.count('destroy', started, end), new Set([...removedNames, ...recreated]), pool).map((s) => `destroy ${s}`),
    ];
    const unchanged = [...initial.keys()].filter((n) => !created.has(n) && !removedNames.includes(n));
    const now = new Map(settled.seen.map((s) => [s.name, s.id]));
    const replacedUnchanged = unchanged.filter((n) => now.get(n) !== before.get(n));
    const report: CutReport = {
      cuts: proxy.cuts, connections: proxy.connections, convergedAfterLastCutMs,
      changed: created.size, removed: removedNames.length, unchanged: unchanged.length,
      repeatedActions, replacedUnchanged, duplicates: settled.duplicates.length, orphans: settled.orphans.length,
    };
    log(`  ${report.cuts} cuts over ${report.connections} connections in ${((lastCut - started) / 1000).toFixed(1)} s; converged ${convergedAfterLastCutMs} ms after the last cut; ${report.changed} created/recreated, ${report.removed} removed, ${report.unchanged} untouched; repeated actions: ${repeatedActions.length ? repeatedActions.join(', ') : 'none'}`);
    return report;
  } finally {
    events.stop();
    await proxy?.stop();
    await env.cleanup();
  }
}

// ---------------------------------------------------------------- restart dockerd

export interface DockerRestartReport {
  /** How long dockerd took to stop and answer again. */
  daemonRestartMs: number;
  /** From dockerd answering again to Berth converged (Ready, same containers). */
  recoveredMs: number;
  sameIds: boolean; duplicates: number;
  /** When the IDs differ: which, and what Docker said of the old ones (a stale shim, say). */
  idChange?: string;
  /** A container added after the restart: from the manifest write to converged. */
  createdAfterMs: number;
}

/**
 * The bed's dockerd restarts under a running host. Its containers (restartPolicy Always) come back
 * by Docker's own restart policy; Berth must not recreate them, must report Ready again, and must
 * act on a change made right after (proving the agent's Docker connection and event stream recovered).
 * NOTE: this restarts the machine-wide dockerd — every other user of the bed feels it.
 */
export async function dockerdRestart(o: { containers: number; log?: Log }): Promise<DockerRestartReport> {
  const log = o.log ?? (() => {});
  const env = new BerthEnv();
  const host = 'box';
  try {
    const list = names(env, o.containers + 1);
    const desired: Desired = new Map(list.slice(0, o.containers).map((n) => [n, 0]));
    env.write('box.yaml', env.hostYaml(host, containersYaml(desired)));
    await env.startController();
    await env.startAgent(host);
    await waitConverged(env, host, desired, 120_000);
    const ids = (await convergence(env, host, desired)).seen.map((s) => s.id).sort();
    // Containers other runs left with a restart policy come back with the daemon too; name them, so
    // that a failure caused by their load (or their stale shims) is told apart from Berth's doing.
    const foreign = (await docker(['ps', '-a', '--filter', 'label=org.berth.test-image', '--format', '{{.Names}}'])).stdout.split('\n')
      .filter((n) => n && !list.includes(n));
    if (foreign.length > 0) log(`  note: ${foreign.length} other container(s) on the engine: ${foreign.slice(0, 10).join(', ')}`);
    const t0 = Date.now();
    await restartDockerDaemon();
    const daemonRestartMs = Date.now() - t0;
    const recoveredMs = await waitConverged(env, host, desired, 90_000);
    const after = await convergence(env, host, desired);
    const idsAfter = after.seen.map((s) => s.id).sort();
    const sameIds = JSON.stringify(idsAfter) === JSON.stringify(ids);
    const idChange = sameIds ? undefined : await describeIdChange(ids, idsAfter);
    const h = await env.host(host);
    if (condition(h, 'AgentConnected')?.status !== 'True') throw new Error('agent not connected after the dockerd restart');
    const t1 = Date.now();
    desired.set(list[o.containers]!, 0);
    env.write('box.yaml', env.hostYaml(host, containersYaml(desired)));
    await waitConverged(env, host, desired, 60_000);
    const report = { daemonRestartMs, recoveredMs, sameIds, duplicates: after.duplicates.length, createdAfterMs: Date.now() - t1, ...(idChange ? { idChange } : {}) };
    log(`  dockerd restarted in ${daemonRestartMs} ms; Berth converged ${recoveredMs} ms after it answered again; same container IDs: ${sameIds}; a container added afterwards ran in ${report.createdAfterMs} ms`);
    return report;
  } finally {
    await env.cleanup();
  }
}

/** The containers that went away across the restart, with Docker's last word on each (if it still has them). */
async function describeIdChange(before: string[], after: string[]): Promise<string> {
  const gone = before.filter((id) => !after.includes(id));
  const said = await Promise.all(gone.map(async (id) => {
    const r = await docker(['inspect', '--format', '{{.Name}} {{.State.Status}} {{.State.Error}}', id]);
    return `${id.slice(0, 12)}: ${r.code === 0 ? r.stdout.trim() : 'removed'}`;
  }));
  return `replaced: ${said.join('; ')}`;
}
