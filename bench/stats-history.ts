// bench/stats-history: the memory the controller's container resource history costs, measured in
// one process holding exactly the controller's structure (controller/stats/history.ts) filled the
// way agents fill it: --hosts hosts x --containers containers, one frame per host per slot, for a
// whole window (default 1 h at 10 s = 360 slots). Prints the RSS and heap growth over the empty
// process, the typed-array bytes the history itself counts, and the goal (150 MiB at 5,000 x 10);
// then the cost of one frame and of one API answer (a host's whole history).
// The history counts its own bytes (berth_stats_history_bytes), exactly what historyTypedArraysMiB shows.
//
//   npm run build && node --expose-gc dist/bench/stats-history.js [--hosts 5000] [--containers 10]
import { StatsHistory } from '../controller/stats/history.js';
import type { StatsFrame } from '../protocol/frames.js';
import type { ContainerStats } from '../protocol/stats.js';
import { parseScriptArgs } from './args.js';

const values = parseScriptArgs(import.meta.url, {
  hosts: { type: 'string', default: '5000' },
  containers: { type: 'string', default: '10' },
  resolution: { type: 'string', default: '10' },
  window: { type: 'string', default: '3600' },
});
const hosts = Number(values.hosts);
const perHost = Number(values.containers);
const resolution = Number(values.resolution);
const windowS = Number(values.window);
const MiB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const mem = () => { gc?.(); gc?.(); const m = process.memoryUsage(); return { rss: m.rss, heap: m.heapUsed, external: m.external }; };

const names = Array.from({ length: perHost }, (_, i) => `container-${i}`);
const frame = (k: number): StatsFrame => ({
  type: 'stats', intervalSeconds: resolution,
  containers: names.map((name, i): ContainerStats => ({
    name, cpuPercent: (i * 7 + k) % 100, memoryBytes: 50e6 + i * 1e6 + k * 1000, memoryLimitBytes: 256 * MiB,
    netRxBytes: k * 10_000 * (i + 1), netTxBytes: k * 5_000 * (i + 1), blockReadBytes: 0, blockWriteBytes: k * 100, pids: 3,
  })),
});

const keys = Array.from({ length: hosts }, (_, h) => `ns-${h % 50}/host-${h}`);
const frames = Array.from({ length: 4 }, (_, k) => frame(k));
const t0 = Date.now();
function fill(history: StatsHistory, hostKeys: string[]): number {
  let ms = 0;
  for (let s = 0; s < history.capacity; s++) {
    const f = frames[s % frames.length]!;
    const start = performance.now();
    for (const key of hostKeys) history.record(key, f, t0 + s * resolution * 1000);
    ms += performance.now() - start;
  }
  return ms;
}
// The baseline is a process that has already run this code on a little history and dropped it: its
// compiled code and the young generation that a controller receiving frames keeps committed anyway
// are not the history's cost.
fill(new StatsHistory({ resolutionSeconds: resolution, windowSeconds: windowS }), keys.slice(0, 200));
const before = mem();
const history = new StatsHistory({ resolutionSeconds: resolution, windowSeconds: windowS });
const slots = history.capacity;
const recordMs = fill(history, keys);
const after = mem();
const q0 = performance.now();
const answer = history.query(keys[0]!, { hostCpus: 4 });
const queryMs = performance.now() - q0;
const goal = hosts === 5000 && perHost === 10 ? 150 : undefined;
const extraRss = (after.rss - before.rss) / MiB;
console.log(JSON.stringify({
  hosts, containersPerHost: perHost, slots, resolutionSeconds: resolution,
  historyTypedArraysMiB: +(history.bytes / MiB).toFixed(1),
  extraRssMiB: +extraRss.toFixed(1), extraHeapMiB: +((after.heap - before.heap) / MiB).toFixed(1), extraExternalMiB: +((after.external - before.external) / MiB).toFixed(1),
  ...(goal ? { goalMiB: goal, withinGoal: extraRss <= goal } : {}),
  recordMicrosPerFrame: +((recordMs * 1000) / (slots * hosts)).toFixed(2),
  queryOneHostMs: +queryMs.toFixed(2), queryOneHostJsonKiB: +(JSON.stringify(answer).length / 1024).toFixed(1),
  gcExposed: gc !== undefined,
}, null, 2));
