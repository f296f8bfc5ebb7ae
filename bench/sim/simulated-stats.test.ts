import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentFrameDecoder } from '../../protocol/codec.js';
import { SimulatedStats } from './simulated-stats.js';

test('samples only running containers, counters only grow, and the frame is a valid stats frame', async () => {
  let running = ['c0', 'c1'];
  const source = new SimulatedStats({ running: () => running });
  const first = await source.sample();
  assert.equal(first.map((c) => c.name), ['c0', 'c1']);
  const second = await source.sample();
  assert.ok(second[0]!.netRxBytes >= first[0]!.netRxBytes && second[0]!.blockWriteBytes >= first[0]!.blockWriteBytes);
  const r = agentFrameDecoder().decode(JSON.stringify({ type: 'stats', intervalSeconds: 1, containers: second }));
  assert.ok(r.ok, r.ok ? '' : r.message);
  running = ['c1'];
  assert.equal((await source.sample()).map((c) => c.name), ['c1']);
});

test.run();
