import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineStore } from './line-store.js';
import { defaultFilter, LogView } from './log-view.js';
import { highlight, matcher } from './search.js';

function setup(capacity = 100) {
  const store = new LineStore(capacity);
  const view = new LogView(store);
  const push = (l: string, s: 'out' | 'err' = 'out') => { const { row } = store.push({ kind: 'line', t: '2026-01-01T00:00:00Z', s, l }); view.appended(row); view.trim(); };
  return { store, view, push };
}
const texts = (view: LogView) => Array.from({ length: view.length }, (_, i) => { const r = view.at(i); return r?.kind === 'line' ? r.l : r?.kind; });

test('stdout/stderr filter; markers always show', () => {
  const { store, view, push } = setup();
  push('hello');
  push('oops', 'err');
  view.appended(store.push({ kind: 'gap', dropped: 3 }).row);
  view.setFilter({ ...defaultFilter, out: false });
  assert.equal(texts(view), ['oops', 'gap']);
  push('more out');
  push('more err', 'err');
  assert.equal(texts(view), ['oops', 'gap', 'more err']);
  view.setFilter({ ...defaultFilter, err: false });
  assert.equal(texts(view), ['hello', 'gap', 'more out']);
});

test('search: only-matching mode, counts, next/previous wrap around', () => {
  const { view, push } = setup();
  for (const l of ['GET /a 200', 'GET /b 500', 'POST /c 200', 'get /d 500']) push(l);
  view.setFilter({ ...defaultFilter, query: 'get' });
  assert.is(view.length, 4, 'highlight mode shows everything');
  assert.is(view.countMatches(), 3, 'case-insensitive');
  assert.is(view.findMatch(0, 1), 1);
  assert.is(view.findMatch(1, 1), 3);
  assert.is(view.findMatch(3, 1), 0, 'wraps');
  assert.is(view.findMatch(0, -1), 3);
  view.setFilter({ ...defaultFilter, query: '500', onlyMatches: true });
  assert.equal(texts(view), ['GET /b 500', 'get /d 500']);
  push('x 500');
  push('x 200');
  assert.equal(texts(view), ['GET /b 500', 'get /d 500', 'x 500']);
});

test('eviction trims the view from the front and reports how many shown rows went', () => {
  const { store, view, push } = setup(3);
  push('a'); push('b', 'err'); push('c');
  view.setFilter({ ...defaultFilter, err: false });
  const { row } = store.push({ kind: 'line', t: 't', s: 'out', l: 'd' });
  view.appended(row);
  assert.is(view.trim(), 1, 'a went');
  assert.equal(texts(view), ['c', 'd']);
});

test('highlight splits into marked pieces; regex characters are literal', () => {
  assert.equal(highlight('a.b a.b', matcher('A.B')), [{ text: 'a.b', match: true }, { text: ' ', match: false }, { text: 'a.b', match: true }]);
  assert.equal(highlight('axb', matcher('a.b')), [{ text: 'axb', match: false }]);
  assert.equal(highlight('plain', undefined), [{ text: 'plain', match: false }]);
  assert.equal(highlight('[x] (y)', matcher('(y')), [{ text: '[x] ', match: false }, { text: '(y', match: true }, { text: ')', match: false }]);
});

test('filtering 100 000 lines and appending to the view stays linear', () => {
  const { view, push } = setup(100_000);
  for (let i = 0; i < 120_000; i++) push(`line ${i} ${i % 7 === 0 ? 'ERROR' : 'ok'}`, i % 2 ? 'err' : 'out');
  view.setFilter({ ...defaultFilter, query: 'error', onlyMatches: true });
  assert.ok(view.length > 14_000 && view.length < 14_400, String(view.length));
  const first = view.at(0);
  assert.ok(first?.kind === 'line' && first.l.includes('ERROR'));
});

test.run();
