// Protocol fuzz at the hub, short form (long form: `npm run chaos`): 10,000 random and mutated
// frames at the real controller over authenticated agent sockets. Every frame gets exactly the
// answer the protocol's decoder dictates (an `error` with its code, nothing, or the close a
// WebSocket must send for invalid UTF-8 / > 1 MiB), the controller never crashes, and its memory
// stays bounded. Floods: invalid ones are closed (4004, with the reason), valid ones throttled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { floodHub, fuzzHub, mb } from './fuzz-drivers.js';
import { chaosSeed } from './support.js';

const MiB = 1024 * 1024;

test('10,000 fuzz frames at the hub: every answer as the protocol says, no crash, memory bounded', async () => {
  const seed = chaosSeed('fuzz-hub');
  const r = await fuzzHub({ frames: 10_000, seed, log: console.log });
  assert.ok(r.frames >= 10_000);
  assert.equal(r.mismatches, [], `seed ${seed}`);
  assert.is(r.errorsReceived, r.errorsExpected);
  assert.ok(r.alive, 'the controller still runs and answers /healthz');
  // Generous: the heap keeps some of the 1 MiB frames' garbage; a leak per frame or per
  // connection (700+ connections here) would blow through it.
  assert.ok(r.rssAfterBytes - r.rssBeforeBytes < 256 * MiB, `RSS grew ${mb(r.rssAfterBytes - r.rssBeforeBytes)}`);
});

test('floods: 500 invalid frames close the socket with 4004 and the reason; 5,000 valid frames are throttled, not dropped', async () => {
  const r = await floodHub({ invalid: 500, valid: 5_000, log: console.log });
  assert.is(r.invalidClose?.code, 4004);
  assert.match(r.invalidClose?.reason ?? '', /too many invalid frames/);
  assert.ok(r.invalidReplies <= 21, 'the close comes right after the limit');
  assert.is(r.validReceived, 5_000, 'nothing dropped');
  assert.ok(r.throttled >= 1, 'the flood was throttled');
  assert.ok(r.validOpen, 'a valid flood is slowed down, not cut off');
  assert.ok(r.alive);
});

test.run();
