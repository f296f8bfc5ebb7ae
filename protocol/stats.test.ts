import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentFrameDecoder } from './codec.js';
import { MAX_FRAME_BYTES } from './frames.js';
import { MAX_STATS_CONTAINERS, cpuPercentOfLimit, type ContainerStats } from './stats.js';

const sample = (name: string): ContainerStats => ({
  name, cpuPercent: 99.999999, cpuLimitCores: 4096, memoryBytes: Number.MAX_SAFE_INTEGER, memoryLimitBytes: Number.MAX_SAFE_INTEGER,
  netRxBytes: Number.MAX_SAFE_INTEGER, netTxBytes: Number.MAX_SAFE_INTEGER, blockReadBytes: Number.MAX_SAFE_INTEGER, blockWriteBytes: Number.MAX_SAFE_INTEGER, pids: 2 ** 31,
});

test('the largest valid stats frame fits the frame limit (the schema bounds its size)', () => {
  const containers = Array.from({ length: MAX_STATS_CONTAINERS }, (_, i) => sample(`${'x'.repeat(250)}${String(i).padStart(5, '0')}`));
  const text = JSON.stringify({ type: 'stats', intervalSeconds: 3600, containers });
  assert.ok(Buffer.byteLength(text) < MAX_FRAME_BYTES, `${Buffer.byteLength(text)} bytes`);
  assert.ok(agentFrameDecoder().decode(text).ok);
});

test('a stats frame out of bounds is refused naming the field', () => {
  const bad = (frame: unknown) => { const r = agentFrameDecoder().decode(JSON.stringify(frame)); assert.not.ok(r.ok); return r.ok ? '' : r.message; };
  assert.match(bad({ type: 'stats', intervalSeconds: 10, containers: [{ ...sample('a'), cpuPercent: 101 }] }), 'stats.containers.0.cpuPercent');
  assert.match(bad({ type: 'stats', intervalSeconds: 10, containers: [{ ...sample('a'), memoryBytes: -1 }] }), 'memoryBytes');
  assert.match(bad({ type: 'stats', intervalSeconds: 0, containers: [] }), 'intervalSeconds');
  assert.match(bad({ type: 'stats', intervalSeconds: 10, containers: Array.from({ length: MAX_STATS_CONTAINERS + 1 }, () => sample('a')) }), 'containers');
  assert.match(bad({ type: 'stats', intervalSeconds: 10, containers: [{ ...sample('a'), extra: 1 }] }), '"extra"');
});

test('CPU of the limit: host percent scaled by host cores over the limit', () => {
  assert.is(cpuPercentOfLimit({ cpuPercent: 12.5, cpuLimitCores: 0.5 }, 4), 100);
  assert.is(cpuPercentOfLimit({ cpuPercent: 12.5 }, 4), 12.5);
});

test.run();
