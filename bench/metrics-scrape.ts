// bench/metrics-scrape: what the per-resource gauges (controller/metrics/fleet-metrics.ts) add to one
// scrape of /metrics at fleet size. The same registry contents a real controller has at that size
// (HOSTS ContainerHosts with CONTAINERS containers each, RESTARTED % of them restarted once, one
// AgentToken per host with an expiry), rendered RUNS times with and without the fleet gauges, same
// process, same run. Prints the median scrape time, the body size and the series count of each, and
// the ratio; asserts nothing.
//
//   npm run build && node dist/bench/metrics-scrape.js [--hosts 5000] [--containers 10] [--restarted 5] [--runs 15]
import { Registry, collectDefaultMetrics } from 'prom-client';
import { parseScriptArgs, positive } from './args.js';
import type { AgentToken, ContainerHost } from '../controller/api/types.js';
import { registerFleetMetrics } from '../controller/metrics/fleet-metrics.js';

const values = parseScriptArgs(import.meta.url, {
  hosts: { type: 'string', default: '5000' }, containers: { type: 'string', default: '10' },
  restarted: { type: 'string', default: '5' }, runs: { type: 'string', default: '15' },
});
for (const k of ['hosts', 'containers', 'runs'] as const) positive(k, values[k]);
const HOSTS = Number(values.hosts), CONTAINERS = Number(values.containers), RESTARTED = Number(values.restarted) / 100, RUNS = Number(values.runs);

const cond = (type: string, status: string) => ({ type, status, reason: 'R', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' });
const hosts: ContainerHost[] = Array.from({ length: HOSTS }, (_, i) => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost',
  metadata: { name: `h${i}`, namespace: `ns${i % 50}`, uid: `u${i}`, generation: 1 },
  spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] } },
  status: {
    conditions: [cond('AgentConnected', 'True'), cond('Ready', i % 100 === 0 ? 'False' : 'True')],
    containers: Array.from({ length: CONTAINERS }, (_, c) => ({ name: `c${c}`, state: 'Running' as const, ready: true, restartCount: (i * CONTAINERS + c) % Math.round(1 / Math.max(RESTARTED, 1e-9)) === 0 ? 1 : 0 })),
  },
}) as ContainerHost);
const tokens: AgentToken[] = hosts.map((h) => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', metadata: { ...h.metadata, uid: `t${h.metadata.uid}` },
  spec: { hostRef: { name: h.metadata.name } }, status: { expiresAt: '2027-01-01T00:00:00Z' },
}) as AgentToken);

async function measure(withFleet: boolean): Promise<{ ms: number; bytes: number; series: number }> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (withFleet) registerFleetMetrics(registry, { version: 'bench', isLeader: () => true, hosts: () => hosts, tokens: () => tokens });
  let body = await registry.metrics();                       // warm-up (and the JIT)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    body = await registry.metrics();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, bytes: Buffer.byteLength(body), series: body.split('\n').filter((l) => l && !l.startsWith('#')).length };
}

const base = await measure(false);
const fleet = await measure(true);
console.log(`hosts ${HOSTS} × ${CONTAINERS} containers, ${values.restarted}% restarted, median of ${RUNS} scrapes`);
console.log(`without fleet gauges: ${base.ms.toFixed(1)} ms, ${(base.bytes / 1024).toFixed(0)} KiB, ${base.series} series`);
console.log(`with fleet gauges:    ${fleet.ms.toFixed(1)} ms, ${(fleet.bytes / 1024).toFixed(0)} KiB, ${fleet.series} series`);
console.log(`extra per scrape: ${(fleet.ms - base.ms).toFixed(1)} ms (ratio ${(fleet.ms / base.ms).toFixed(1)}×), ${((fleet.bytes - base.bytes) / 1024).toFixed(0)} KiB, ${fleet.series - base.series} series`);
