import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostStatsView, PageStats } from '../../../protocol/stats.js';
import { applySample, formatBytes, formatPercent, linePath, summarize } from './stats.js';

const view = (): HostStatsView => ({
  namespace: 'ns', name: 'box', intervalSeconds: 10, hostCpus: 2, t: [1000, 11000],
  containers: [{ name: 'web', cpuPercent: [1, 2], memoryBytes: [10, 20], netRxBytesPerSec: [null, 5], netTxBytesPerSec: [null, 6] }],
  totals: { cpuPercent: [1, 2], memoryBytes: [10, 20], netRxBytesPerSec: [null, 5], netTxBytesPerSec: [null, 6] },
});
const sample = (t: number, over: Partial<PageStats['containers'][number]> = {}, host = 'ns/box'): PageStats => ({
  host, t, intervalSeconds: 10, containers: [{ name: 'web', cpuPercent: 3, memoryBytes: 30, netRxBytesPerSec: 7, netTxBytesPerSec: 8, ...over }],
});

test('a new sample appends a slot; the same slot again replaces it; an older or foreign one is ignored', () => {
  const a = applySample(view(), sample(21000));
  assert.equal(a.t, [1000, 11000, 21000]);
  assert.equal(a.containers[0]!.cpuPercent, [1, 2, 3]);
  assert.equal(a.totals.memoryBytes, [10, 20, 30]);
  assert.is(a.containers[0]!.latest?.cpuPercent, 3);
  const b = applySample(a, sample(21000, { cpuPercent: 4 }));
  assert.equal(b.containers[0]!.cpuPercent, [1, 2, 4]);
  const v = view();
  assert.is(applySample(v, sample(500)), v);
  assert.is(applySample(v, sample(21000, {}, 'ns/other')), v);
});

test('a container that appears later is padded with nulls; one that misses a sample gets a null', () => {
  const s: PageStats = { host: 'ns/box', t: 21000, intervalSeconds: 10, containers: [{ name: 'db', cpuPercent: 1, memoryBytes: 5, netRxBytesPerSec: null, netTxBytesPerSec: null }] };
  const a = applySample(view(), s);
  assert.equal(a.containers.find((c) => c.name === 'db')!.memoryBytes, [null, null, 5]);
  assert.equal(a.containers.find((c) => c.name === 'web')!.memoryBytes, [10, 20, null]);
  assert.equal(a.totals.memoryBytes, [10, 20, 5]);
});

test('the page keeps at most maxPoints', () => {
  let v = view();
  for (let k = 2; k < 10; k++) v = applySample(v, sample(1000 + k * 10000), 4);
  assert.is(v.t.length, 4);
  assert.is(v.containers[0]!.cpuPercent.length, 4);
  assert.is(v.totals.cpuPercent.length, 4);
});

test('words and numbers for the charts', () => {
  assert.equal(summarize([null, 3, 1, null, 2]), { latest: 2, min: 1, max: 3, points: 3 });
  assert.equal(summarize([]), { latest: null, min: null, max: null, points: 0 });
  assert.is(formatBytes(30 * 1024 * 1024), '30.0 MiB');
  assert.is(formatBytes(512), '512 B');
  assert.is(formatPercent(3.14159), '3.14 %');
  assert.is(formatPercent(null), '—');
});

test('the line breaks at missing samples and stays inside the box', () => {
  assert.is(linePath([0, 10, null, 5], 10, 30, 10), 'M0.0 10.0L10.0 0.0M30.0 5.0');
  assert.is(linePath([50], 10, 30, 10), 'M0.0 0.0');
  assert.is(linePath([], 10, 30, 10), '');
});

test.run();
