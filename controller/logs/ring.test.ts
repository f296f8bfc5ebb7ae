import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RingBuffer } from './ring.js';

test('keeps the newest items, oldest first, and last(n) takes from the end', () => {
  const r = new RingBuffer<number>(3);
  assert.equal(r.last(), []);
  r.pushAll([1, 2]);
  assert.equal(r.last(), [1, 2]);
  r.pushAll([3, 4, 5]);
  assert.is(r.size, 3);
  assert.equal(r.last(), [3, 4, 5]);
  assert.equal(r.last(2), [4, 5]);
  assert.equal(r.last(0), []);
  assert.equal(r.last(99), [3, 4, 5]);
  assert.is(r.peek(), 5);
});

test('wraps many times without losing order', () => {
  const r = new RingBuffer<number>(1000);
  for (let i = 0; i < 12_345; i++) r.push(i);
  const all = r.last();
  assert.is(all.length, 1000);
  assert.is(all[0], 11_345);
  assert.is(all[999], 12_344);
});

test('refuses a nonsensical capacity', () => {
  assert.throws(() => new RingBuffer(0), /positive integer/);
});

test.run();
