import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineStore } from './line-store.js';

const line = (l: string, s: 'out' | 'err' = 'out') => ({ kind: 'line' as const, t: '2026-01-01T00:00:00Z', s, l });

test('keeps the last N rows, evicting the oldest, with growing seqs', () => {
  const store = new LineStore(3);
  for (const l of ['a', 'b', 'c']) assert.is(store.push(line(l)).evicted, 0);
  const r = store.push(line('d'));
  assert.is(r.evicted, 1);
  assert.is(r.row.seq, 3);
  assert.is(store.size, 3);
  assert.is(store.firstSeq, 1);
  assert.is(store.get(0), undefined);
  assert.equal([...store.rows()].map((x) => (x.kind === 'line' ? x.l : '')), ['b', 'c', 'd']);
});

test('100 000 lines of capacity hold 100 000 rows after 250 000 pushes', () => {
  const store = new LineStore(100_000);
  for (let i = 0; i < 250_000; i++) store.push(line(`line ${i}`));
  assert.is(store.size, 100_000);
  const first = store.get(store.firstSeq);
  assert.ok(first?.kind === 'line' && first.l === 'line 150000');
});

test('overlong lines are cut and say so; markers are rows too', () => {
  const store = new LineStore(10, 5);
  const r = store.push(line('0123456789')).row;
  assert.ok(r.kind === 'line' && r.l === '01234' && r.cut === true);
  const g = store.push({ kind: 'gap', dropped: 7 }).row;
  assert.is(g.kind, 'gap');
  store.clear();
  assert.is(store.size, 0);
  assert.is(store.push(line('x')).row.seq, 2, 'seqs keep growing after clear');
});

test.run();
