import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogBatcher } from './log-batcher.js';

const e = (l: string) => ({ t: '2026-11-29T10:00:00.000000000Z', s: 'out' as const, l });

test('lines accumulate until the byte bound, then come out as one batch in order', () => {
  const b = new LogBatcher(1000);
  let full: ReturnType<LogBatcher['add']>;
  let n = 0;
  do { full = b.add(e(`line ${n++} ${'x'.repeat(50)}`)); } while (!full && n < 1000);
  assert.ok(full, 'a batch came out');
  assert.ok(full!.length > 5 && full!.length < 20, `${full!.length} entries`);
  assert.is(full![0]!.l.startsWith('line 0 '), true);
  assert.is(b.size, 0);
  assert.is(b.take(), undefined, 'nothing pending after a full batch');
});

test('the entry bound applies to many tiny lines', () => {
  const b = new LogBatcher(1_000_000, 3);
  assert.is(b.add(e('')), undefined);
  assert.is(b.add(e('')), undefined);
  assert.is(b.add(e(''))?.length, 3);
});

test('take() hands over what is pending (the timer path)', () => {
  const b = new LogBatcher();
  b.add(e('a'));
  b.add(e('b'));
  assert.equal(b.take()?.map((x) => x.l), ['a', 'b']);
  assert.is(b.take(), undefined);
});

test.run();
