import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StatsFrame } from '../../protocol/frames.js';
import type { ContainerStats } from '../../protocol/stats.js';
import { StatsHistory } from './history.js';

const c = (name: string, over: Partial<ContainerStats> = {}): ContainerStats => ({
  name, cpuPercent: 10, memoryBytes: 100 * 1024 * 1024, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 3, ...over,
});
const frame = (...containers: ContainerStats[]): StatsFrame => ({ type: 'stats', intervalSeconds: 10, containers });
const near = (a: number | null | undefined, b: number, rel = 0.014) => { assert.ok(a !== null && a !== undefined && Math.abs(a - b) <= Math.abs(b) * rel + 1e-6, `${a} ≉ ${b}`); };
const T0 = 1_700_000_000_000;

test('samples land in consecutive slots despite jitter; rates from the counters; totals per slot', () => {
  const h = new StatsHistory({ resolutionSeconds: 10, windowSeconds: 60 });
  h.record('ns/a', frame(c('web', { netRxBytes: 1000 }), c('db', { cpuPercent: 5 })), T0);
  h.record('ns/a', frame(c('web', { netRxBytes: 11000, cpuPercent: 20 }), c('db', { cpuPercent: 5 })), T0 + 10_000 + 400);
  const p = h.record('ns/a', frame(c('web', { netRxBytes: 21000, cpuPercent: 30 })), T0 + 20_000 - 450);
  assert.is(p.t, T0 + 20_000);
  const q = h.query('ns/a');
  assert.equal(q.t, [T0, T0 + 10_000, T0 + 20_000]);
  const web = q.containers.find((s) => s.name === 'web')!;
  near(web.cpuPercent[0], 10); near(web.cpuPercent[1], 20); near(web.cpuPercent[2], 30);
  assert.is(web.netRxBytesPerSec[0], null, 'no rate before two samples');
  near(web.netRxBytesPerSec[1], 10000 / 10.4);
  const db = q.containers.find((s) => s.name === 'db')!;
  assert.is(db.cpuPercent[2], null, 'db missed the third slot');
  near(q.totals.cpuPercent[1], 25);
  near(q.totals.cpuPercent[2], 30);
  assert.is(web.latest?.cpuPercent, 30, 'latest is exact');
  assert.is(web.latest?.netRxBytes, 21000);
});

test('the window rolls: old slots drop out, a gap is empty slots, a container gone for a window is forgotten', () => {
  const h = new StatsHistory({ resolutionSeconds: 10, windowSeconds: 30 });
  h.record('ns/a', frame(c('old'), c('web')), T0);
  h.record('ns/a', frame(c('web')), T0 + 50_000);   // slots 1..4 empty, 3 slots kept: 3,4,5
  const q = h.query('ns/a');
  assert.equal(q.t, [T0 + 30_000, T0 + 40_000, T0 + 50_000]);
  assert.equal(q.containers.map((s) => s.name), ['web'], '"old" has no sample left in the window');
  assert.equal(q.containers[0]!.memoryBytes.slice(0, 2), [null, null]);
});

test('?container= and ?since= narrow the answer; an unknown host is empty', () => {
  const h = new StatsHistory({ resolutionSeconds: 10, windowSeconds: 3600 });
  for (let k = 0; k < 5; k++) h.record('ns/a', frame(c('web'), c('db')), T0 + k * 10_000);
  const q = h.query('ns/a', { container: 'db', sinceMs: T0 + 25_000 });
  assert.equal(q.t, [T0 + 30_000, T0 + 40_000]);
  assert.equal(q.containers.map((s) => s.name), ['db']);
  near(q.totals.memoryBytes[0], 2 * 100 * 1024 * 1024);
  assert.equal(h.query('ns/none').t, []);
});

test('two samples in one slot keep the later; a clock going back never rewrites older slots', () => {
  const h = new StatsHistory();
  h.record('ns/a', frame(c('web', { cpuPercent: 1 })), T0);
  h.record('ns/a', frame(c('web', { cpuPercent: 2 })), T0 + 10_000);
  h.record('ns/a', frame(c('web', { cpuPercent: 3 })), T0 + 12_000);
  h.record('ns/a', frame(c('web', { cpuPercent: 4 })), T0 - 60_000);
  const q = h.query('ns/a');
  assert.is(q.t.length, 2);
  near(q.containers[0]!.cpuPercent[0], 1);
  near(q.containers[0]!.cpuPercent[1], 4);
});

test('memory: one pooled row per container (5 bytes a slot + the latest sample); rows are reused, never reallocated', () => {
  const h = new StatsHistory({ resolutionSeconds: 10, windowSeconds: 3600 });
  const row = 360 * 5 + 11 * 8;
  const chunk = Math.floor((4 * 1024 * 1024) / (360 * 5)) * row;   // the pool grows by chunks of ~4 MiB
  h.record('ns/a', frame(...Array.from({ length: 10 }, (_, i) => c(`c${i}`))), T0);
  assert.is(h.containerCount, 10);
  assert.is(h.bytes, chunk);
  h.forget('ns/a');
  assert.is(h.containerCount, 0);
  // A fleet arriving container by container and churning fills rows already there.
  for (let k = 0; k < 3; k++) {
    for (let n = 1; n <= 10; n++) h.record(`ns/h${k}`, frame(...Array.from({ length: n }, (_, i) => c(`c${i}`))), T0 + n * 10_000);
  }
  assert.is(h.containerCount, 30);
  assert.is(h.bytes, chunk, 'no second chunk for 30 rows');
  const fleet = new StatsHistory();
  for (let k = 0; k < 2331; k++) fleet.record(`ns/h${k}`, frame(c('web')), T0);
  assert.is(fleet.bytes, 2 * chunk, 'row 2,331 opens the second chunk');
});

test('a row given back comes back empty for the next container', () => {
  const h = new StatsHistory({ resolutionSeconds: 10, windowSeconds: 30 });
  h.record('ns/a', frame(c('old', { cpuPercent: 50 })), T0);
  h.forget('ns/a');
  h.record('ns/b', frame(c('new', { cpuPercent: 5 })), T0 + 20_000);
  h.record('ns/b', frame(c('new', { cpuPercent: 6 })), T0 + 30_000);
  const q = h.query('ns/b');
  assert.equal(q.t.length, 2);
  near(q.containers[0]!.cpuPercent[0], 5); near(q.containers[0]!.cpuPercent[1], 6);
  assert.is(q.containers[0]!.netRxBytesPerSec[0], null, 'no rate from the old row\'s counters');
});

test('a bad configuration is refused with the numbers', () => {
  assert.throws(() => new StatsHistory({ resolutionSeconds: 0 }), /resolution \(0 s\)/);
  assert.throws(() => new StatsHistory({ resolutionSeconds: 10, windowSeconds: 5 }), /window \(5 s\)/);
});

test.run();
