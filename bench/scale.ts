// bench/scale: one real controller process and M simulated agents — the real agent client with a
// simulated runtime (bench/sim/) — run in a few separate worker processes, so that the controller's
// CPU and memory are its own. For each M it measures, from a cold start (no state, no status, no
// tokens: the controller starts against M declared hosts × N containers):
//   time to all Ready, controller CPU and peak RSS, reconciles/s, status writes/s, the work queue's
//   peak depth — and then, with everything converged, the steady heartbeat CPU over a window.
//
//   npm run bench:scale                                   (directory mode, 100, 1,000 and 5,000 hosts)
//   node dist/bench/scale.js --hosts 100,1000 --modes dir,kube --steady 60 --timeout 1500
//   npm run bench:scale -- --hosts 5000 --stats compare      (the stats history's extra RSS, see bench/scale-stats.ts)
//   npm run bench:scale -- --hosts 1000 --modes kube          (and the floor: see below)
//
// --floor on|off (Kubernetes mode; default on): after each case, the same writes Berth needs per host
// (finalizer, token Secret, token status, host status) by a plain client at Berth's concurrency,
// on the same apiserver (bench/kube-floor.ts), and Berth's ratio to it; plus Berth's own requests
// per host (berth_kube_requests_total).
//
// --controller-node-args "FLAGS": node/V8 flags for the controller process only (heap tuning
// experiments); --controller-args "FLAGS": extra `berth controller` flags (e.g. "--kube-api-qps 200");
// --no-restart skips the restart phase.
//
// --stats off|on|compare: agents send no stats (default) / `stats` frames every --stats-resolution
// seconds to a controller keeping --stats-slots slots at that resolution / both, one after the other,
// and a table of the extra memory. With stats the run waits for the window to fill, then slows the
// agents to the default 10 s before its steady window, and skips the restart (it would drop the
// history being measured).
//
// Kubernetes mode needs the test bed (bash test/env/testbed.sh up): its own namespaces, created and
// deleted by the run. Controller CPU and RSS come from /proc/<pid> (VmHWM is the kernel's peak RSS);
// counters and the ready count from the controller's /metrics, sampled every 2 s (so "all Ready" is
// late by up to 2 s and the queue depth peak is a sample, a lower bound; a scrape walks every
// socket for nodejs_active_handles, so scraping more often would load the process being measured). Every wait is bounded and --timeout bounds the run;
// every process started is stopped by its pid, also on Ctrl-C.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/support/paths.js';
import type { WorkerConfig, WorkerStats } from './sim/agent-worker.js';
import { parseScriptArgs } from './args.js';
import { runFloor, sampleBerthWrites, type FloorResult, type FloorSample } from './kube-floor.js';
import { declareKubeFleet, deleteKubeFleet, formatRequests, kubeControllerArgs, kubeRequests, releaseKubeFleet, startTokenCopier, type KubeFleet } from './scale-kube.js';
import { freePort, guardProcesses, killAll, log, mib, procSample, reconciles, scrape, sleep, stopChild, track, type Metrics } from './scale-proc.js';
import { PACED_INTERVAL_S, fillWindow, filledSlots, historyBytes, medians, memoryOf, statsControllerArgs, statsTable, type MemoryMedians, type MemorySample, type StatsOutcome, type StatsPlan, type StatsRow } from './scale-stats.js';

const values = parseScriptArgs(import.meta.url, {
  hosts: { type: 'string', default: '100,1000,5000' },
  containers: { type: 'string', default: '10' },
  modes: { type: 'string', default: 'dir' },
  steady: { type: 'string', default: '60' },
  /** Hard bound of the whole run, seconds. */
  timeout: { type: 'string', default: '1500' },
  /** Bound of one case's convergence, seconds. */
  'converge-timeout': { type: 'string', default: '300' },
  'agent-procs': { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
  workers: { type: 'string', default: '4' },
  /** Write a V8 CPU profile of the controller into this directory (for finding what to fix). */
  'cpu-prof': { type: 'string' },
  /** Write a V8 heap snapshot of the controller into this directory once converged (after --steady). */
  'heap-snapshot': { type: 'string' },
  /** Keep the temp directory (manifests, state, controller.log) and print where it is. */
  keep: { type: 'boolean', default: false },
  /** After the steady window, restart the controller and time the reconnect storm back to all Ready. */
  restart: { type: 'boolean', default: true },
  /** Skip the restart (node 20's parseArgs has no --no-<flag>). */
  'no-restart': { type: 'boolean', default: false },
  /** Extra node/V8 flags for the controller process only, space-separated (e.g. "--heap-growing-percent=50"). */
  'controller-node-args': { type: 'string', default: '' },
  'controller-args': { type: 'string', default: '' },
  stats: { type: 'string', default: 'off' },
  'stats-resolution': { type: 'string', default: '1' },
  'stats-slots': { type: 'string', default: '360' },
  /** Kubernetes mode: after each case, measure the floor (bench/kube-floor.ts) and print Berth's ratio to it. */
  floor: { type: 'string', default: 'on' },
});
if (!['off', 'on', 'compare'].includes(values.stats)) { console.error(`--stats must be off, on or compare (got "${values.stats}")`); process.exit(2); }
const statsPlan: StatsPlan = { resolutionS: Number(values['stats-resolution']), slots: Number(values['stats-slots']) };
if (!Number.isInteger(statsPlan.resolutionS) || statsPlan.resolutionS < 1 || !Number.isInteger(statsPlan.slots) || statsPlan.slots < 1) { console.error('--stats-resolution and --stats-slots must be whole numbers ≥ 1'); process.exit(2); }
const hostCounts = values.hosts!.split(',').map(Number);
const perHost = Number(values.containers);
const modes = values.modes!.split(',').filter((m): m is 'dir' | 'kube' => m === 'dir' || m === 'kube');
const steadyS = Number(values.steady);
const convergeS = Number(values['converge-timeout']);
const deadline = Date.now() + Number(values.timeout) * 1000;

guardProcesses(deadline);

// ---------------------------------------------------------------- the fleet's declarations

const hostName = (i: number) => `h${String(i).padStart(5, '0')}`;
function hostYaml(ns: string, name: string): string {
  const containers = Array.from({ length: perHost }, (_, c) =>
    `  - { name: c${c}, image: "busybox:latest", command: ["sh", "-c", "while true; do sleep 1; done"], env: [{ name: SLOT, value: "${c}" }] }`).join('\n');
  return `apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: ${name}, namespace: ${ns} }\nspec:\n  containers:\n${containers}\n`
    + `---\napiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: ${name}, namespace: ${ns} }\nspec: { hostRef: { name: ${name} } }\n`;
}

// ---------------------------------------------------------------- one case

interface Result {
  mode: 'dir' | 'kube'; hosts: number; agentProcs: number;
  readyS?: number; readyCount: number; cpuS: number; hwm: number;
  reconcilesPerS: number; statusWritesPerS: number; depthPeak: number; reconcilesTotal: number; statusWritesTotal: number;
  steady?: { seconds: number; cpuPct: number; rss: number; statusWritesPerS: number; reconcilesPerS: number };
  restart?: { readyS?: number; cpuS: number; hwm: number; connectsDuring: number };
  agentsCpuS: number; reconnects: number; disconnects: Record<string, number>; note?: string;
  withStats?: boolean; stats?: StatsOutcome; filling?: MemoryMedians; paced?: MemoryMedians;
  /** Kubernetes mode: the store's requests to all Ready, by "verb resource". */
  kubeRequests?: Record<string, number>;
  /** Kubernetes mode: what Berth wrote for one Ready host (the floor writes the same bodies), and the floor measured with them. */
  floorSample?: FloorSample; floor?: FloorResult;
}

async function runCase(mode: 'dir' | 'kube', m: number, withStats: boolean): Promise<Result> {
  const id = randomBytes(3).toString('hex');
  const root = mkdtempSync(join(tmpdir(), 'berth-scale-'));
  const manifests = join(root, 'manifests');
  const state = join(root, 'state');
  mkdirSync(manifests);
  let ns = `scale-${id}`;
  let fleetNs: KubeFleet | undefined;
  const controllerLog = join(root, 'controller.log');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let controller: ChildProcess | undefined;
  const workers: ChildProcess[] = [];
  let stopCopier: (() => Promise<void>) | undefined;
  try {
    // Declarations first (a cold start of the controller against an existing fleet of declarations).
    const t0decl = Date.now();
    if (mode === 'dir') {
      for (let i = 0; i < m; i++) writeFileSync(join(manifests, `${hostName(i)}.yaml`), hostYaml(ns, hostName(i)));
    } else {
      fleetNs = await declareKubeFleet((ns) => Array.from({ length: m }, (_, i) => hostYaml(ns, hostName(i))));
      ns = fleetNs.ns;
    }
    log(`${mode} ${m}×${perHost}: declared in ${((Date.now() - t0decl) / 1000).toFixed(1)} s; starting the controller`);

    const args = mode === 'dir'
      ? ['controller', '--dir', manifests, '--state', state]
      : kubeControllerArgs(fleetNs!);
    if (withStats) args.push(...statsControllerArgs(statsPlan));
    args.push(...values['controller-args']!.split(' ').filter(Boolean));
    const prof = [
      ...values['controller-node-args']!.split(' ').filter(Boolean),
      ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : []),
      ...(values['heap-snapshot'] ? ['--heapsnapshot-signal=SIGUSR2', '--diagnostic-dir', values['heap-snapshot']] : []),
    ];
    const startController = () => {
      const out = openSync(controllerLog, 'a');
      const child = track(spawn(process.execPath, [...prof, join(repoRoot, 'bin/berth.js'), ...args, '--listen', `127.0.0.1:${port}`, '--log-level', values['log-level']!, '--workers', values.workers!],
        { stdio: ['ignore', out, out] }));
      closeSync(out);
      return child;
    };
    const t0 = Date.now();
    controller = startController();
    let pid = controller.pid!;

    // Agents: tokens come from the controller's state directory (dir) or, in Kubernetes mode, from
    // the Secrets, copied to files here as they appear (what an operator's provisioning would do).
    const tokenRoot = mode === 'dir' ? join(state, 'tokens') : join(root, 'tokens');
    if (fleetNs) stopCopier = startTokenCopier(ns, tokenRoot);
    const procs = Number(values['agent-procs'] ?? Math.min(4, Math.max(1, Math.ceil(m / 1500))));
    const keys = Array.from({ length: m }, (_, i) => `${ns}/${hostName(i)}`);
    const stats = new Map<ChildProcess, WorkerStats>();
    for (let w = 0; w < procs; w++) {
      const child = track(fork(join(repoRoot, 'dist/bench/sim/agent-worker.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
      child.on('message', (msg: WorkerStats | { type: 'stopped' }) => { if (msg.type === 'stats') stats.set(child, msg); });
      const config: WorkerConfig = { url: url.replace(/^http/, 'ws'), hosts: keys.filter((_, i) => i % procs === w), tokenRoot, ...(withStats ? { statsIntervalSeconds: statsPlan.resolutionS } : {}) };
      child.send({ type: 'start', config });
      workers.push(child);
    }
    const fleet = () => {
      const s = [...stats.values()];
      const sum = (f: (x: WorkerStats) => number) => s.reduce((a, x) => a + f(x), 0);
      const disconnects: Record<string, number> = {};
      for (const x of s) for (const [k, v] of Object.entries(x.disconnects)) disconnects[k] = (disconnects[k] ?? 0) + v;
      return { connected: sum((x) => x.connected), connects: sum((x) => x.connects), containers: sum((x) => x.containers), failed: sum((x) => x.failedActions), statsFrames: sum((x) => x.statsFrames), disconnects };
    };

    // Converge: sample every 2 s until every host is Ready (or the bound).
    let depthPeak = 0; let last: Metrics | undefined; let readyAt: number | undefined; let readyCount = 0;
    let lastLog = 0;
    const bound = Math.min(t0 + convergeS * 1000, deadline);
    while (Date.now() < bound) {
      if (controller.exitCode !== null) throw new Error(`the controller exited (${controller.exitCode}); log: ${controllerLog}`);
      const mt = await scrape(url);
      if (mt) {
        last = mt;
        depthPeak = Math.max(depthPeak, mt.get('berth_workqueue_depth{queue="hosts"}') ?? 0);
        readyCount = mt.get('berth_hosts_ready') ?? 0;
      }
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        const p = procSample(pid); const f = fleet();
        log(`  t=${((Date.now() - t0) / 1000).toFixed(0)} s ready ${readyCount}/${m}, agents connected ${f.connected}, containers ${f.containers}, queue ${last?.get('berth_workqueue_depth{queue="hosts"}') ?? '?'}, controller cpu ${p?.cpuS.toFixed(1)} s rss ${mib(p?.rss ?? 0)} (heap ${mib(last?.get('nodejs_heap_size_used_bytes') ?? 0)}, external ${mib(last?.get('nodejs_external_memory_bytes') ?? 0)})`);
      }
      if (readyCount >= m) { readyAt = Date.now(); break; }
      await sleep(2_000);
    }
    const atReady = procSample(pid) ?? { cpuS: 0, rss: 0, hwm: 0 };
    const elapsedS = ((readyAt ?? Date.now()) - t0) / 1000;
    const reconcilesTotal = reconciles(last);
    const statusWritesTotal = last?.get('berth_status_writes_total') ?? 0;
    const result: Result = {
      mode, hosts: m, agentProcs: procs, readyCount, cpuS: atReady.cpuS, hwm: atReady.hwm,
      reconcilesPerS: reconcilesTotal / elapsedS, statusWritesPerS: statusWritesTotal / elapsedS, depthPeak,
      reconcilesTotal, statusWritesTotal, agentsCpuS: 0, reconnects: 0, disconnects: {},
      ...(readyAt ? { readyS: elapsedS } : { note: `not all Ready within ${((bound - t0) / 1000).toFixed(0)} s` }),
    };
    if (fleetNs) {
      result.kubeRequests = kubeRequests(last);
      log(`  kube requests per host to all Ready: ${formatRequests(result.kubeRequests, m)}`);
      const sample = await sampleBerthWrites(ns, hostName(0));
      if (sample) result.floorSample = sample;
    }
    log(`${mode} ${m}×${perHost}: ${readyAt ? `all Ready in ${elapsedS.toFixed(1)} s` : `${readyCount}/${m} Ready after ${elapsedS.toFixed(0)} s (bound)`}; controller cpu ${atReady.cpuS.toFixed(1)} s, peak rss ${mib(atReady.hwm)}`);

    // With stats: wait until every ring is full (one window after the last host's first sample),
    // reading the memory over the fill's last minute; then slow the agents to the default frame rate
    // (bench/scale-stats.ts says why). The run without stats it is compared with waits and reads as
    // long, so both are measured as long after start.
    let filled: number | undefined;
    if (values.stats !== 'off' && readyAt) {
      const fillS = statsPlan.slots * statsPlan.resolutionS + 10;
      log(`  stats: waiting ${fillS} s for the ${statsPlan.slots}-slot window to fill`);
      const fillEnd = Math.min(Date.now() + fillS * 1000, deadline - (steadyS + 60) * 1000);
      const fm = await fillWindow(fillEnd, async () => {
        const p = procSample(pid); const mt = await scrape(url);
        return { memory: memoryOf(p?.rss ?? 0, mt), line: `  stats: rss ${mib(p?.rss ?? 0)}, history ${mib(historyBytes(mt))}, ${fleet().statsFrames} frames, connected ${mt?.get('berth_hub_connected_agents') ?? '?'}` };
      }, log);
      if (fm) result.filling = fm;
      if (withStats) {
        filled = await filledSlots(url, ns, hostName(m - 1));
        for (const w of workers) w.send({ type: 'stats-pace', seconds: PACED_INTERVAL_S });
        log(`  stats: window filled (${filled ?? '?'}/${statsPlan.slots} slots); agents slowed to one frame every ${PACED_INTERVAL_S} s`);
      }
    }
    // Steady state: everything converged, only heartbeats (pings both ways), resyncs and the
    // directory store's periodic re-scan remain. Let the tail of convergence settle first.
    if (readyAt && steadyS > 0 && Date.now() + (steadyS + 10) * 1000 < deadline) {
      await sleep(values.stats !== 'off' ? 30_000 : 10_000);   // with stats: the faster frames' garbage collected too
      const a = procSample(pid); const ma = await scrape(url);
      // RSS as the median of samples every 2 s: one reading lands anywhere in the GC's saw-tooth.
      const rssSamples: number[] = [];
      const readings: MemorySample[] = [];
      for (const end = Date.now() + steadyS * 1000; Date.now() < end;) {
        await sleep(Math.min(2_000, Math.max(0, end - Date.now())));
        const rss = procSample(pid)?.rss ?? 0;
        rssSamples.push(rss);
        // With stats, every third reading also scrapes heap and external memory (a scrape costs at scale).
        if (values.stats !== 'off' && rssSamples.length % 3 === 1) readings.push(memoryOf(rss, await scrape(url)));
      }
      const pm = medians(readings);
      if (pm) result.paced = pm;
      rssSamples.sort((x, y) => x - y);
      const b = procSample(pid); const mb = await scrape(url);
      if (a && b && ma && mb) {
        result.steady = {
          seconds: steadyS, cpuPct: ((b.cpuS - a.cpuS) / steadyS) * 100, rss: rssSamples[rssSamples.length >> 1] ?? b.rss,
          statusWritesPerS: ((mb.get('berth_status_writes_total') ?? 0) - (ma.get('berth_status_writes_total') ?? 0)) / steadyS,
          reconcilesPerS: (reconciles(mb) - reconciles(ma)) / steadyS,
        };
        result.hwm = b.hwm;
        log(`  steady ${steadyS} s: controller ${result.steady.cpuPct.toFixed(1)} % of a core, rss ${mib(b.rss)} (median ${mib(result.steady.rss)}), ${result.steady.statusWritesPerS.toFixed(2)} status writes/s`);
      }
    }
    // Restart: the same controller again on the same state and port, with every agent connected.
    // They all lose it at once (1001) and come back with their real full-jitter backoff while it
    // loads — the reconnect storm a controller upgrade or crash causes. Nothing needs applying.
    const connectsBefore = fleet().connects;
    if (values.restart && !values['no-restart'] && values.stats === 'off' && readyAt && Date.now() + convergeS * 1000 < deadline) {
      await stopChild(controller, 30_000);
      const t1 = Date.now();
      controller = startController();
      pid = controller.pid!;
      let again: number | undefined; let peakDepth = 0; let ready = 0;
      const bound2 = Math.min(t1 + convergeS * 1000, deadline);
      await sleep(1_000);
      while (Date.now() < bound2) {
        if (controller.exitCode !== null) throw new Error(`the restarted controller exited (${controller.exitCode}); log: ${controllerLog}`);
        const mt = await scrape(url);
        // The first scrapes may come before the controller looked at every host (all still Ready
        // from the status it loaded): count only once the agents are back.
        if (mt && (mt.get('berth_hub_connected_agents') ?? 0) >= m) {
          ready = mt.get('berth_hosts_ready') ?? 0;
          peakDepth = Math.max(peakDepth, mt.get('berth_workqueue_depth{queue="hosts"}') ?? 0);
          if (ready >= m) { again = Date.now(); break; }
        }
        await sleep(2_000);
      }
      const p = procSample(pid) ?? { cpuS: 0, rss: 0, hwm: 0 };
      const f2 = fleet();
      result.restart = { ...(again ? { readyS: (again - t1) / 1000 } : {}), cpuS: p.cpuS, hwm: p.hwm, connectsDuring: f2.connects - connectsBefore };
      log(`  restart: ${again ? `all ${m} agents back and Ready in ${((again - t1) / 1000).toFixed(1)} s` : `not all back within ${((bound2 - t1) / 1000).toFixed(0)} s`}; controller cpu ${p.cpuS.toFixed(1)} s, peak rss ${mib(p.hwm)}`);
    }

    if (values['heap-snapshot'] && readyAt) {
      const dir = values['heap-snapshot'];
      mkdirSync(dir, { recursive: true });
      const before = new Set(readdirSync(dir));
      process.kill(pid, 'SIGUSR2');
      for (let i = 0; i < 120 && !readdirSync(dir).some((f) => !before.has(f) && f.endsWith('.heapsnapshot')); i++) await sleep(1_000);
      await sleep(5_000);   // the file appears before it is complete
      log(`  heap snapshot written to ${dir}`);
    }
    const f = fleet();
    result.reconnects = connectsBefore - m;   // before any restart: connections that did not last
    result.disconnects = f.disconnects;
    if (withStats) {
      result.withStats = true;
      result.stats = { historyBytes: historyBytes(await scrape(url)), frames: f.statsFrames, ...(filled === undefined ? {} : { filledSlots: filled }) };
    }
    result.agentsCpuS = workers.reduce((a, w) => a + (procSample(w.pid!)?.cpuS ?? 0), 0);
    if (f.failed) result.note = `${result.note ? `${result.note}; ` : ''}${f.failed} failed actions`;
    // Things outside the controller that spoil a run, said rather than hidden: another controller
    // watching every namespace of the shared apiserver mints tokens with its own key, and an
    // apiserver restart (another engineer's chaos test) costs the lease.
    const text = readFileSync(controllerLog, 'utf8');
    const foreign = text.split('token signed by an unknown key').length - 1;
    const lost = text.split('lost the leadership').length - 1;
    const disturbed = [foreign ? `${foreign} agent connects with tokens signed by another controller's key (another controller watches this namespace)` : '', lost ? `lost the leadership ${lost}× (apiserver unavailable)` : ''].filter(Boolean).join('; ');
    if (disturbed) result.note = `${result.note ? `${result.note}; ` : ''}${disturbed}`;
    return result;
  } finally {
    await stopCopier?.();
    // Agents first (so the controller sees clean closes), then, in Kubernetes mode, the resources
    // (force-delete lets the controller drop its finalizers without agents), then the controller.
    await Promise.all(workers.map(async (w) => {
      if (w.exitCode !== null) return;
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      try { w.send({ type: 'stop' }); } catch { /* gone */ }
      if (!await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) { w.kill('SIGKILL'); await exited; }
    }));
    if (fleetNs) await releaseKubeFleet(fleetNs);
    await stopChild(controller, 15_000);
    if (fleetNs) await deleteKubeFleet(fleetNs);
    if (values.keep) log(`kept ${root} (controller.log, manifests, state)`);
    else rmSync(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- main

const nofile = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0);
const need = Math.max(...hostCounts) + 1024;
if (nofile && nofile < need) {
  console.error(`bench/scale: the open-file limit is ${nofile}; the controller needs one descriptor per agent plus files. Raise it first, e.g. \`ulimit -n ${need}\` (npm run bench:scale does).`);
  process.exit(2);
}

const results: Result[] = [];
try {
  for (const mode of modes) {
    for (const m of hostCounts) {
      if (Date.now() > deadline - 30_000) { log(`skipping ${mode} ${m}: the overall --timeout is nearly used up`); continue; }
      for (const withStats of values.stats === 'compare' ? [false, true] : [values.stats === 'on']) try {
        const r = await runCase(mode, m, withStats);
        results.push(r);
        // The floor right after, on the same apiserver: the same writes by a plain client (bench/kube-floor.ts).
        if (r.floorSample && values.floor !== 'off' && Date.now() < deadline - 60_000) {
          try { r.floor = await runFloor({ hosts: m, hostLanes: Number(values.workers), yamlsFor: (ns) => Array.from({ length: m }, (_, i) => hostYaml(ns, hostName(i))), hostName, sample: r.floorSample }); } catch (err) { log(`floor ${m}: failed: ${(err as Error).message}`); }
        }
      } catch (err) {
        log(`${mode} ${m}: failed: ${(err as Error).message}`);
        results.push({ mode, hosts: m, withStats, agentProcs: 0, readyCount: 0, cpuS: 0, hwm: 0, reconcilesPerS: 0, statusWritesPerS: 0, depthPeak: 0, reconcilesTotal: 0, statusWritesTotal: 0, agentsCpuS: 0, reconnects: 0, disconnects: {}, note: `failed: ${(err as Error).message.slice(0, 200)}` });
      }
    }
  }
} finally {
  killAll();
}

console.log(`\nbench/scale — cold start of one controller with M simulated agents × ${perHost} containers (controller process only)\n`);
console.log('| mode | hosts | stats | to all Ready | controller CPU | avg core | peak RSS | reconciles/s | status writes/s | queue peak | steady CPU | steady writes/s | restart → all Ready | restart CPU, peak RSS | agent procs CPU | reconnects | note |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const ready = r.readyS !== undefined ? `${r.readyS.toFixed(1)} s` : `— (${r.readyCount}/${r.hosts})`;
  const wall = r.readyS ?? 1;
  const steady = r.steady ? `${r.steady.cpuPct.toFixed(1)} % (${r.steady.seconds} s)` : '—';
  const disc = Object.entries(r.disconnects).map(([k, v]) => `${k}×${v}`).join(' ');
  console.log(`| ${r.mode} | ${r.hosts} | ${r.withStats ? `${statsPlan.slots} × ${statsPlan.resolutionS} s` : 'off'} | ${ready} | ${r.cpuS.toFixed(1)} s | ${r.readyS ? `${((r.cpuS / wall) * 100).toFixed(0)} %` : '—'} | ${mib(r.hwm)} | ${r.reconcilesPerS.toFixed(0)} | ${r.statusWritesPerS.toFixed(0)} | ${r.depthPeak} | ${steady} | ${r.steady ? r.steady.statusWritesPerS.toFixed(2) : '—'} | ${r.restart ? (r.restart.readyS !== undefined ? `${r.restart.readyS.toFixed(1)} s` : 'not within bound') : '—'} | ${r.restart ? `${r.restart.cpuS.toFixed(1)} s, ${mib(r.restart.hwm)}` : '—'} | ${r.agentsCpuS.toFixed(1)} s | ${r.reconnects}${disc ? ` (${disc})` : ''} | ${r.note ?? ''} |`);
}
const kubeRows = results.filter((r) => r.mode === 'kube' && r.kubeRequests);
if (kubeRows.length) {
  console.log('\nKubernetes mode against its floor (a plain client doing, per host, finalizer + token Secret + token status + host status at the same concurrency; bench/kube-floor.ts)\n');
  console.log('| hosts | Berth to all Ready | floor | ratio | Berth requests per host (verb resource count) | floor writes per host |');
  console.log('|---|---|---|---|---|---|');
  for (const r of kubeRows) {
    const ratio = r.floor && r.readyS !== undefined ? `${(r.readyS / r.floor.seconds).toFixed(2)}×` : '—';
    console.log(`| ${r.hosts} | ${r.readyS !== undefined ? `${r.readyS.toFixed(1)} s` : `— (${r.readyCount}/${r.hosts})`} | ${r.floor ? `${r.floor.seconds.toFixed(1)} s (${r.floor.writesPerS.toFixed(0)} writes/s, lanes ${r.floor.hostLanes}+${r.floor.tokenLanes})` : '—'} | ${ratio} | ${formatRequests(r.kubeRequests!, r.hosts)} | ${r.floor ? (r.floor.writes / r.hosts).toFixed(0) : '—'} |`);
  }
}
if (values.stats !== 'off') {
  const rows: StatsRow[] = results.map((r) => ({ hosts: r.hosts, withStats: r.withStats === true, hwm: r.hwm, ...(r.steady ? { steadyRss: r.steady.rss, steadyCpuPct: r.steady.cpuPct } : {}), ...(r.stats ? { stats: r.stats } : {}),
    ...(r.filling ? { filling: r.filling } : {}), ...(r.paced ? { paced: r.paced } : {}) }));
  for (const line of statsTable(rows, perHost, statsPlan)) console.log(line);
}
console.log('\ntargets: 5,000 × 10 all Ready < 120 s (directory mode); controller peak RSS < 1.5 GiB; steady heartbeat CPU < 25 % of a core');
process.exit(0);
