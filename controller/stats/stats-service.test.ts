import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StatsFrame } from '../../protocol/frames.js';
import type { PageStats } from '../../protocol/stats.js';
import { StatsService } from './stats-service.js';

const frame = (name: string, memoryBytes: number): StatsFrame => ({
  type: 'stats', intervalSeconds: 10,
  containers: [{ name, cpuPercent: 12.5, memoryBytes, memoryLimitBytes: 1000, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 2 }],
});

test('samples of declared hosts are kept and published; undeclared hosts are dropped; forget drops the history', async () => {
  const hub = new EventEmitter();
  const published: PageStats[] = [];
  const registry = new Registry();
  let now = 1_700_000_000_000;
  const svc = new StatsService({ registry, isDeclared: (k) => k === 'ns/a', hostCpus: () => 4, onSample: (s) => published.push(s), now: () => now, containerMetrics: true });
  svc.attach(hub as never);
  hub.emit('stats', 'ns/a', frame('web', 500));
  hub.emit('stats', 'ns/ghost', frame('web', 500));
  assert.equal(published.map((p) => p.host), ['ns/a']);
  assert.is(svc.history.hostCount, 1);
  assert.is(svc.hostCpusOf('ns/a'), 4);
  const text = await registry.metrics();
  assert.match(text, 'berth_container_memory_working_set_bytes{namespace="ns",host="a",container="web"} 500');
  assert.match(text, 'berth_container_cpu_percent{namespace="ns",host="a",container="web"} 12.5');
  assert.match(text, 'berth_container_memory_limit_bytes{namespace="ns",host="a",container="web"} 1000');
  now += 10_000;
  hub.emit('stats', 'ns/a', frame('db', 700));   // web missed the newest slot: no series for it now
  await new Promise((r) => setTimeout(r, 120));
  const later = await registry.metrics();
  assert.not.match(later, 'container="web"');
  assert.match(later, 'container="db"} 700');
  svc.forget('ns/a');
  assert.is(svc.history.hostCount, 0);
  assert.match(await registry.metrics(), /berth_stats_history_bytes 0/);
});

test('without --container-metrics there are no per-container series', async () => {
  const registry = new Registry();
  const svc = new StatsService({ registry, isDeclared: () => true, hostCpus: () => undefined });
  const hub = new EventEmitter();
  svc.attach(hub as never);
  hub.emit('stats', 'ns/a', frame('web', 500));
  assert.not.match(await registry.metrics(), 'berth_container_');
  assert.is(svc.hostCpusOf('ns/a'), 0);
});

test.run();
