import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../test/support/paths.js';
import { cpuLimitCores, toContainerStats, workingSetBytes, type DockerStatsJson } from './stats-calc.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(repoRoot, 'test/fixtures', name), 'utf8')) as DockerStatsJson;
const v1 = fixture('docker-stats-cgroup1.json');
const v2 = fixture('docker-stats-cgroup2.json');

test('cgroup v1 (recorded from this bed\'s dockerd): working set is usage minus total_inactive_file', () => {
  const m = v1.memory_stats!;
  assert.is(workingSetBytes(m), m.usage! - m.stats!.total_inactive_file!);
  assert.ok(workingSetBytes(m) < m.usage! / 2, 'the 20 MiB of dd\'s page cache is not counted');
});

test('cgroup v2 (fixture): working set uses inactive_file, not v1-only keys that are absent', () => {
  const s = toContainerStats('web', v2, { memoryBytes: 268435456 }).stats;
  assert.is(s.memoryBytes, 70 * 1024 * 1024);
  assert.is(s.memoryLimitBytes, 268435456);
  assert.is(s.blockReadBytes, 4194304 + 4096, 'lowercase v2 ops, summed over devices');
  assert.is(s.blockWriteBytes, 1048576);
  assert.is(s.netRxBytes, 6000);
  assert.is(s.netTxBytes, 3500);
  assert.is(s.pids, 7);
});

test('v1 block I/O ops are capitalised', () => {
  const raw: DockerStatsJson = { blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 10 }, { op: 'Write', value: 3 }, { op: 'Total', value: 13 }] } };
  const s = toContainerStats('a', raw, {}).stats;
  assert.is(s.blockReadBytes, 10);
  assert.is(s.blockWriteBytes, 3);
});

test('CPU: against the previous sample, percent of the whole host; a counter reset gives 0', () => {
  const first = toContainerStats('web', v2, {});
  assert.is(first.stats.cpuPercent, 0, 'one-shot: no precpu, no previous sample');
  const next: DockerStatsJson = { ...v2, cpu_stats: { cpu_usage: { total_usage: 12_000_000_000 + 5_000_000_000 }, system_cpu_usage: 400_000_000_000_000 + 40_000_000_000, online_cpus: 4 } };
  const second = toContainerStats('web', next, {}, first.counters);
  // 5 s of CPU over 10 s on 4 cores (40 s of system time) = 12.5 % of the host (docker stats: 50 %).
  assert.ok(Math.abs(second.stats.cpuPercent - 12.5) < 1e-9, String(second.stats.cpuPercent));
  const reset = toContainerStats('web', { ...next, cpu_stats: { cpu_usage: { total_usage: 1000 }, system_cpu_usage: 400_000_000_000_000 + 80_000_000_000 } }, {}, second.counters);
  assert.is(reset.stats.cpuPercent, 0);
});

test('CPU: the Engine\'s precpu is used for a first sample when it sent one (stream=false)', () => {
  const raw: DockerStatsJson = { cpu_stats: { cpu_usage: { total_usage: 3e9 }, system_cpu_usage: 12e9 }, precpu_stats: { cpu_usage: { total_usage: 2e9 }, system_cpu_usage: 8e9 } };
  assert.is(toContainerStats('a', raw, {}).stats.cpuPercent, 25);
});

test('CPU limit from NanoCpus or quota/period; none without either', () => {
  assert.is(cpuLimitCores({ nanoCpus: 500_000_000 }), 0.5);
  assert.is(cpuLimitCores({ cpuQuota: 150_000, cpuPeriod: 100_000 }), 1.5);
  assert.is(cpuLimitCores({ cpuQuota: 50_000 }), 0.5);
  assert.is(cpuLimitCores({}), undefined);
  assert.not.ok('cpuLimitCores' in toContainerStats('a', v1, {}).stats);
});

test('garbage in the Engine answer gives zeros, never NaN or negatives', () => {
  const s = toContainerStats('a', { memory_stats: { usage: -5, stats: { inactive_file: Number.NaN } }, networks: { eth0: { rx_bytes: -1 } } } as DockerStatsJson, { memoryBytes: -1 }).stats;
  assert.equal([s.memoryBytes, s.netRxBytes, s.cpuPercent, s.pids], [0, 0, 0, 0]);
  assert.not.ok('memoryLimitBytes' in s);
});

test.run();
