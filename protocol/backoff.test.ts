import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Backoff } from './backoff.js';

test('windows double from 0.5 s up to the 30 s cap', () => {
  const b = new Backoff({ random: () => 0.999999 });
  const delays = Array.from({ length: 10 }, () => b.next());
  assert.equal(delays.map((d) => Math.round(d / 10) * 10), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
});

test('full jitter: the delay is uniform in [0, window)', () => {
  const r = [0, 0.5, 0.25];
  let i = 0;
  const b = new Backoff({ random: () => r[i++]! });
  assert.is(b.next(), 0);       // window 500
  assert.is(b.next(), 500);     // window 1000
  assert.is(b.next(), 500);     // window 2000
  assert.is(b.attempts, 3);
});

test('a huge attempt count never overflows past the cap', () => {
  const b = new Backoff({ random: () => 0.5 });
  for (let i = 0; i < 5000; i++) b.next();
  assert.is(b.next(), 15000);
});

test('a connection stable for 60 s resets; a short one does not', () => {
  let now = 0;
  const b = new Backoff({ random: () => 0.999999, now: () => now });
  for (let i = 0; i < 6; i++) b.next();
  b.connected(); now += 59_999; b.disconnected();
  assert.is(b.window(), 30000, 'a connection that dropped before 60 s keeps the wide window');
  b.connected(); now += 60_000; b.disconnected();
  assert.is(b.window(), 500);
  assert.is(b.attempts, 0);
});

test('disconnected() without connected() changes nothing', () => {
  const b = new Backoff({ random: () => 0 });
  b.next(); b.next();
  b.disconnected();
  assert.is(b.attempts, 2);
  b.reset();
  assert.is(b.attempts, 0);
});

test('after a stable connection is lost, windows stay at most 2 s for 30 s, then double again', () => {
  let now = 0;
  const b = new Backoff({ random: () => 0.999999, now: () => now });
  b.connected();
  now = 120_000;
  b.disconnected();
  // A leader failover: every attempt during the Lease's 15 s fails, yet no window passes 2 s.
  const during: number[] = [];
  while (now < 120_000 + 29_000) { const d = b.next(); during.push(b.window()); now += d; }
  assert.ok(during.length >= 15, `attempts in the recovery period: ${during.length}`);
  assert.ok(Math.max(...during) <= 2000, `largest window ${Math.max(...during)}`);
  now = 120_000 + 30_001;
  assert.ok(b.window() > 2000, 'after the recovery period the window doubles again');
});

test('a connection that never became stable gets no recovery period', () => {
  let now = 0;
  const b = new Backoff({ random: () => 0.999999, now: () => now });
  for (let i = 0; i < 6; i++) b.next();
  b.connected();
  now = 1_000;
  b.disconnected();
  assert.is(b.window(), 30_000);
});

test.run();
