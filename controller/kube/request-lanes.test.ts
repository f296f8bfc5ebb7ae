import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRateLimits, laneOf, RequestLanes, type Lane } from './request-lanes.js';

/** A hand-driven clock: timers fire only when advance() passes their time. */
function fakeClock() {
  let t = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => t,
    setTimer: (fn: () => void, ms: number) => { timers.push({ at: t + ms, fn }); return timers.length; },
    async advance(ms: number) {
      const end = t + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        t = next.at;
        next.fn();
        await Promise.resolve();
      }
      t = end;
      await new Promise((r) => setImmediate(r));
    },
  };
}

test('within the burst nothing waits; past it, qps paces the requests', async () => {
  const clock = fakeClock();
  const lanes = new RequestLanes({ qps: 10, burst: 3 }, clock);
  const done: number[] = [];
  for (let i = 0; i < 5; i++) void lanes.acquire('hosts').then(() => done.push(i));
  await clock.advance(0);
  assert.equal(done, [0, 1, 2]);
  await clock.advance(100);
  assert.equal(done, [0, 1, 2, 3]);
  await clock.advance(100);
  assert.equal(done, [0, 1, 2, 3, 4]);
});

test('token requests are not starved: behind 500 waiting host writes and Events, a token write goes next', async () => {
  const clock = fakeClock();
  const lanes = new RequestLanes({ qps: 10, burst: 10 }, clock);
  const order: string[] = [];
  const go = (lane: Lane, id: string) => void lanes.acquire(lane).then(() => order.push(id));
  for (let i = 0; i < 10; i++) go('hosts', `burst${i}`);   // the burst, spent by the fleet
  for (let i = 0; i < 250; i++) { go('hosts', `host${i}`); go('events', `event${i}`); }
  await clock.advance(0);
  assert.is(order.length, 10);
  go('tokens', 'secret');
  go('tokens', 'token-status');
  assert.is(lanes.depth('tokens'), 2);
  await clock.advance(100);   // one new token in the bucket
  assert.equal(order.slice(10), ['secret']);
  await clock.advance(100);
  assert.equal(order.slice(10), ['secret', 'token-status']);
  await clock.advance(100);
  assert.equal(order.slice(12), ['host0'], 'then the hosts, in order');
  // Events come only after every waiting host write.
  await clock.advance(25_000);
  assert.is(order.indexOf('event0'), 10 + 2 + 250);
});

test('a token request that arrives while a free slot exists but others wait still takes its turn first', async () => {
  const clock = fakeClock();
  const lanes = new RequestLanes({ qps: 2, burst: 1 }, clock);
  const order: string[] = [];
  void lanes.acquire('hosts').then(() => order.push('h0'));
  void lanes.acquire('hosts').then(() => order.push('h1'));
  void lanes.acquire('events').then(() => order.push('e0'));
  await clock.advance(0);
  void lanes.acquire('tokens').then(() => order.push('t0'));
  await clock.advance(2_000);
  assert.equal(order, ['h0', 't0', 'h1', 'e0']);
});

test('qps 0 turns the limiter off', async () => {
  const lanes = new RequestLanes({ qps: 0, burst: 1 });
  assert.not.ok(lanes.enabled);
  await Promise.all(Array.from({ length: 1_000 }, () => lanes.acquire('hosts')));
});

test('the token path, Events and the rest each have their lane', () => {
  assert.is(laneOf({ secret: true }), 'tokens');
  assert.is(laneOf({ plural: 'agenttokens' }), 'tokens');
  assert.is(laneOf({ plural: 'containerhosts' }), 'hosts');
  assert.is(laneOf({ plural: 'containersets' }), 'hosts');
  assert.is(laneOf({ event: true }), 'events');
});

test('bad limits are refused naming the field', () => {
  assert.throws(() => checkRateLimits({ qps: Number.NaN, burst: 1 }), /qps/);
  assert.throws(() => checkRateLimits({ qps: 5, burst: 0 }), /burst/);
  checkRateLimits({ qps: 0, burst: 0 });
});

test.run();
