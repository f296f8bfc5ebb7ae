// Protocol fuzz at the agent, short form (long form: `npm run chaos`): the real agent process dials
// a WebSocket server of this test, which plays the controller and sends 10,000 random and mutated
// frames. Every invalid frame gets its `error` reply, every valid apply/remove its `result`; an
// oversized frame (close 1009) and invalid UTF-8 (close 1007) end the connection and the agent comes
// back with hello; it never crashes and its memory stays bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzzAgent, mb } from './fuzz-drivers.js';
import { chaosSeed } from './support.js';

const MiB = 1024 * 1024;

test('10,000 fuzz frames at the agent: every answer as the protocol says, no crash, memory bounded', async () => {
  const seed = chaosSeed('fuzz-agent');
  const r = await fuzzAgent({ frames: 10_000, seed, log: console.log });
  assert.is(r.frames, 10_000);
  assert.equal(r.mismatches, [], `seed ${seed}`);
  assert.is(r.errorsReceived, r.errorsExpected);
  assert.equal(r.closes, { 1007: 1, 1009: 1 });
  assert.is(r.connections, 3, 'reconnected after each of the two closes');
  assert.ok(r.alive, 'the agent still runs and answers');
  assert.ok(r.rssAfterBytes - r.rssBeforeBytes < 256 * MiB, `RSS grew ${mb(r.rssAfterBytes - r.rssBeforeBytes)}`);
});

test.run();
