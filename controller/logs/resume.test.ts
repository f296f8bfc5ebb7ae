import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advanceCursor, ResumeFilter } from './resume.js';

const t = (n: number) => `2026-11-29T10:00:00.${String(n).padStart(9, '0')}Z`;
const e = (n: number, l = `line ${n}`) => ({ t: t(n), s: 'out' as const, l });

test('the cursor counts the lines at the newest timestamp', () => {
  let c = advanceCursor(undefined, [e(1), e(2), e(2)]);
  assert.equal(c, { t: t(2), atT: 2 });
  c = advanceCursor(c, [e(2, 'again')]);
  assert.equal(c, { t: t(2), atT: 3 });
  c = advanceCursor(c, [e(3)]);
  assert.equal(c, { t: t(3), atT: 1 });
});

test('a resumed stream drops what came before and exactly the lines already held at the cursor', () => {
  const f = new ResumeFilter({ t: t(5), atT: 2 });
  // Docker's since is inclusive: it repeats both lines at t(5); a third line at t(5) is new.
  assert.equal(f.filter([e(4), e(5, 'a'), e(5, 'b')]).map((x) => x.l), []);
  assert.equal(f.filter([e(5, 'c'), e(6)]).map((x) => x.l), ['c', 'line 6']);
  assert.equal(f.filter([e(1, 'old stamp but after the resume point')]).length, 1, 'once past the cursor, everything passes');
});

test('nothing held at the cursor time → only older lines are dropped', () => {
  const f = new ResumeFilter({ t: t(5), atT: 0 });
  assert.equal(f.filter([e(4), e(5), e(6)]).map((x) => x.t), [t(5), t(6)]);
});

test.run();
