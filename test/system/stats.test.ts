// Container resource stats end to end on the bed's dockerd: a container burning CPU under a 0.5-core
// limit and one holding ~30 MB, sampled by the real agent (every 2 s), kept by the real controller,
// read back through GET /api/v1/hosts/NS/NAME/stats and compared with `docker stats --no-stream`.
// With --container-metrics the same values are on /metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostStatsView } from '../../protocol/stats.js';
import { BerthEnv, until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const burn = env.name('burn');
const hold = env.name('hold');
const image = bed('BERTH_TEST_IMAGE');
const spec = `containers:
- name: ${burn}
  image: ${image}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "while :; do :; done"]
  resources: { cpus: "0.5" }
  stopTimeoutSeconds: 1
- name: ${hold}
  image: ${image}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "x=$(head -c 30000000 /dev/zero | tr '\\\\0' a); while :; do sleep 1; done"]
  resources: { memory: 128Mi }
  stopTimeoutSeconds: 1`;
const statsPath = `/api/v1/hosts/${env.namespace}/box/stats`;

interface DockerStatsLine { Name: string; CPUPerc: string; MemUsage: string }
const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, MB: 1e6, GB: 1e9 };
const bytes = (s: string) => { const m = /^([\d.]+)\s*([A-Za-z]+)$/.exec(s.trim())!; return Number(m[1]) * UNITS[m[2]!]!; };
async function dockerStats(name: string): Promise<{ cpuPercentOfOneCore: number; memoryBytes: number; limitBytes: number }> {
  const r = await docker(['stats', '--no-stream', '--format', '{{json .}}', name]);
  const line = JSON.parse(r.stdout.trim()) as DockerStatsLine;
  const [used, limit] = line.MemUsage.split('/');
  return { cpuPercentOfOneCore: Number.parseFloat(line.CPUPerc), memoryBytes: bytes(used!), limitBytes: bytes(limit!) };
}

test.before(async () => {
  env.write('box.yaml', env.hostYaml('box', spec));
  await env.startController(['--stats-resolution', '2', '--stats-history', '600', '--container-metrics']);
  await env.startAgent('box', { BERTH_STATS_INTERVAL: '2' });
  await env.waitReady('box');
});
test.after(async () => { await env.cleanup(); });

test('the stats API agrees with docker stats --no-stream for a CPU burner and a memory holder', async () => {
  // Enough samples that the burner's CPU is measured over whole intervals and the holder has filled its memory.
  const view = await until('six samples of both containers', async () => {
    const r = await env.get<HostStatsView>(statsPath);
    if (r.status !== 200) return undefined;
    const ok = r.body.containers.length === 2 && r.body.containers.every((c) => c.cpuPercent.filter((v) => v !== null).length >= 6);
    return ok ? r.body : undefined;
  }, 60_000, 500);
  assert.is(view.intervalSeconds, 2);
  assert.ok(view.hostCpus >= 1, `host cores ${view.hostCpus}`);
  const ours = (name: string) => view.containers.find((c) => c.name === name)!.latest!;
  const [dBurn, dHold] = [await dockerStats(burn), await dockerStats(hold)];

  // docker stats shows percent of one core; ours is percent of the host.
  const burnOneCore = ours(burn).cpuPercent * view.hostCpus;
  assert.ok(Math.abs(burnOneCore - dBurn.cpuPercentOfOneCore) < 12, `ours ${burnOneCore.toFixed(1)} % vs docker ${dBurn.cpuPercentOfOneCore} % of a core`);
  // The bed's 2 cores are shared, so the burner may get less than its limit; never more.
  assert.ok(burnOneCore > 5 && burnOneCore < 60, `the burner burns, and its 0.5-core limit holds: ${burnOneCore.toFixed(1)} % of a core`);
  assert.is(ours(burn).cpuLimitCores, 0.5);

  const held = ours(hold).memoryBytes;
  assert.ok(Math.abs(held - dHold.memoryBytes) / dHold.memoryBytes < 0.1, `ours ${held} vs docker ${dHold.memoryBytes}`);
  assert.ok(held > 25e6, `the holder's ~30 MB are in its working set: ${held}`);
  assert.is(ours(hold).memoryLimitBytes, 128 * 1024 * 1024);
  assert.is(dHold.limitBytes, 128 * 1024 * 1024, 'docker stats sees the same limit');
  assert.ok(ours(hold).pids >= 1);

  // History and totals line up slot by slot.
  const k = view.t.length - 1;
  const sum = view.containers.reduce((s, c) => s + (c.memoryBytes[k] ?? 0), 0);
  assert.ok(Math.abs((view.totals.memoryBytes[k] ?? 0) - sum) <= 1, 'totals are the sum');

  const one = await env.get<HostStatsView>(`${statsPath}?container=${hold}&since=${view.t[k - 2]}`);
  assert.equal(one.body.containers.map((c) => c.name), [hold]);
  assert.ok(one.body.t.length >= 3 && one.body.t[0] === view.t[k - 2], JSON.stringify(one.body.t));
});

test('bad parameters are a 400 naming them; an unknown host is a 404', async () => {
  const bad = await env.get<{ error: string; message: string }>(`${statsPath}?since=yesterday`);
  assert.is(bad.status, 400);
  assert.match(bad.body.message, 'since "yesterday"');
  assert.is((await env.get(`/api/v1/hosts/${env.namespace}/nope/stats`)).status, 404);
});

test('--container-metrics: per-container gauges on /metrics', async () => {
  const text = await until('container gauges', async () => {
    const r = await env.get<string>('/metrics');
    return typeof r.body === 'string' && r.body.includes(`berth_container_memory_working_set_bytes{namespace="${env.namespace}",host="box",container="${hold}"}`) ? r.body : undefined;
  }, 20_000, 500);
  const line = text.split('\n').find((l) => l.startsWith(`berth_container_memory_limit_bytes{namespace="${env.namespace}",host="box",container="${hold}"}`));
  assert.ok(line?.endsWith(` ${128 * 1024 * 1024}`), line);
  assert.match(text, /berth_stats_history_bytes \d+/);
});

test.run();
