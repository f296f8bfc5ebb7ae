import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CPU_CODE, MEMORY_CODE, MISSING, RATE_CODE, decode, encode, pack4, relativeError, unpack } from './log10.js';

const within = (code: typeof CPU_CODE, v: number, rel: number) => {
  const back = decode(code, encode(code, v))!;
  assert.ok(Math.abs(back - v) <= v * rel + code.unit / code.k, `${v} -> ${back}`);
};

test('the documented precision: CPU ±0.45 %, memory and network ±1.4 %', () => {
  assert.ok(relativeError(CPU_CODE) <= 0.0046, String(relativeError(CPU_CODE)));
  assert.ok(relativeError(MEMORY_CODE) <= 0.014, String(relativeError(MEMORY_CODE)));
  assert.ok(relativeError(RATE_CODE) <= 0.014, String(relativeError(RATE_CODE)));
});

test('round trips within that precision over each range, and exact zero', () => {
  for (const v of [0.001, 0.01, 0.37, 1.5, 12.345, 50, 99.99, 100]) within(CPU_CODE, v, 0.0046);
  for (const v of [1000, 4096, 123_456, 64 * 2 ** 20, 3.7e9, 2 ** 40, 2 ** 50]) within(MEMORY_CODE, v, 0.014);
  for (const v of [1, 7, 1000, 125e6, 12.5e9, 2 ** 40]) within(RATE_CODE, v, 0.014);
  for (const c of [CPU_CODE, MEMORY_CODE, RATE_CODE]) assert.is(decode(c, encode(c, 0)), 0);
});

test('never produces the MISSING code; bad input is 0; too large is clamped', () => {
  assert.ok(encode(RATE_CODE, Number.MAX_VALUE) < MISSING);
  assert.is(encode(CPU_CODE, -3), 0);
  assert.is(encode(CPU_CODE, Number.NaN), 0);
  assert.is(decode(CPU_CODE, MISSING), null);
  assert.ok(Math.abs(decode(RATE_CODE, encode(RATE_CODE, 2 ** 45))! - 2 ** 40) <= 2 ** 40 * 0.014);
});

test('monotonic: a larger value never gets a smaller code', () => {
  let last = -1;
  for (let v = 0; v < 1e12; v = v * 1.37 + 1) { const c = encode(MEMORY_CODE, v); assert.ok(c >= last); last = c; }
});

test('four codes pack into five bytes and come back, neighbours untouched', () => {
  const b = new Uint8Array(7).fill(0xab);
  for (const q of [[0, 0, 0, 0], [0x3ff, 0x3ff, 0x3ff, 0x3ff], [1, 2, 3, 4], [0x2bc, 0x123, 0x3ed, 0x0f0], [0x155, 0x2aa, 0x155, 0x2aa]]) {
    pack4(b, 1, q[0]!, q[1]!, q[2]!, q[3]!);
    assert.equal([0, 1, 2, 3].map((f) => unpack(b, 1, f)), q);
    assert.is(b[0], 0xab);
    assert.is(b[6], 0xab);
  }
});

test.run();
