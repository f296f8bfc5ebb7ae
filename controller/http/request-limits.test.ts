import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedLimiter } from './request-limits.js';

test('a burst goes through, then one per 1/perSecond; each key has its own bucket', () => {
  let now = 0;
  const l = new KeyedLimiter({ perSecond: 0.5, burst: 3 }, () => now);
  assert.equal([l.take('a'), l.take('a'), l.take('a')], [0, 0, 0]);
  assert.is(l.take('a'), 2000, 'empty: the next token in 2 s');
  assert.is(l.take('b'), 0, 'another client is not slowed');
  now = 2000;
  assert.is(l.take('a'), 0);
  assert.ok(l.take('a') > 0);
});

test('the number of buckets is bounded (the least recently used go)', () => {
  const l = new KeyedLimiter({ perSecond: 1, burst: 1 }, () => 0, 100);
  for (let i = 0; i < 1000; i++) l.take(`k${i}`);
  assert.is(l.size, 100);
});

test.run();
