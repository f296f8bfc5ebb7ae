// The counting of numbered log lines used by the rotation test: duplicates, losses, re-reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countSequence } from './sequence.js';

test('a clean run', () => {
  assert.equal(countSequence([1, 2, 3, 4], 4), { received: 4, distinct: 4, duplicates: 0, missing: 0, backJumps: 0, forwardJumps: 0, oddBackJumps: 0 });
});

test('a re-read of a file\'s start (Docker 20.10 after a rotation) and a skipped stretch', () => {
  // 1..5, back to 3 (the new file's first line), 3..8, then 9 and 10 lost.
  const c = countSequence([1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8, 11], 11);
  assert.is(c.duplicates, 3);
  assert.is(c.missing, 2);
  assert.is(c.backJumps, 1);
  assert.is(c.oddBackJumps, 0);
  assert.is(c.forwardJumps, 1);
});

test('a line repeated out of place is a back jump that is not a re-read', () => {
  const c = countSequence([1, 2, 3, 4, 2, 5, 6], 6);
  assert.is(c.duplicates, 1);
  assert.is(c.backJumps, 1);
  assert.is(c.oddBackJumps, 1, '2 is not followed by 3');
  assert.is(countSequence([1, 2, 3, 4, 3], 4).oddBackJumps, 0, 'a re-read cut short by the end of what arrived');
});

test.run();
