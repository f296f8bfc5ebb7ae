import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MISSING, decode, encode, pack4, unpack } from './log12.js';

test('round trip within 0.45 % from bytes to petabytes, and exact zero', () => {
  assert.is(decode(encode(0)), 0);
  for (const v of [1, 7, 1000, 123_456, 64 * 1024 * 1024, 3.7e9, 2 ** 40, 2 ** 50]) {
    const back = decode(encode(v))!;
    assert.ok(Math.abs(back - v) / v <= 0.0045, `${v} -> ${back}`);
  }
});

test('a unit keeps fractions: CPU percent at 0.001 % units', () => {
  const back = decode(encode(12.345, 0.001), 0.001)!;
  assert.ok(Math.abs(back - 12.345) < 0.06, String(back));
  assert.ok(Math.abs(decode(encode(0.004, 0.001), 0.001)! - 0.004) < 1e-4);
});

test('never produces the MISSING code; bad input is 0', () => {
  assert.ok(encode(Number.MAX_VALUE) < MISSING);
  assert.is(encode(-3), 0);
  assert.is(encode(Number.NaN), 0);
  assert.is(decode(MISSING), null);
});

test('monotonic: a larger value never gets a smaller code', () => {
  let last = -1;
  for (let v = 0; v < 1e7; v = v * 1.37 + 1) { const c = encode(v); assert.ok(c >= last); last = c; }
});

test('four codes pack into three words and come back, neighbours untouched', () => {
  const w = new Uint16Array(5).fill(0xabcd);
  for (const q of [[0, 0, 0, 0], [0xfff, 0xfff, 0xfff, 0xfff], [1, 2, 3, 4], [0xabc, 0x123, 0xfed, 0x0f0]]) {
    pack4(w, 1, q[0]!, q[1]!, q[2]!, q[3]!);
    assert.equal([0, 1, 2, 3].map((f) => unpack(w, 1, f)), q);
    assert.is(w[0], 0xabcd);
    assert.is(w[4], 0xabcd);
  }
});

test.run();
