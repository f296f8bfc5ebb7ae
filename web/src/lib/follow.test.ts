import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FollowState } from './follow.js';
import { visibleWindow } from './virtual.js';

const at = (scrollTop: number) => ({ scrollTop, clientHeight: 100, scrollHeight: 1000 });

test('scrolling up pauses, new lines are counted not followed, the bottom or Resume resumes', () => {
  const f = new FollowState();
  assert.ok(f.following);
  assert.not.ok(f.scrolled(at(900)), 'at the bottom: nothing changes');
  assert.ok(f.scrolled(at(500)), 'scrolled up');
  assert.not.ok(f.following);
  f.appended(3);
  f.appended(2);
  assert.is(f.unseen, 5);
  assert.not.ok(f.scrolled(at(400)), 'still paused further up');
  assert.ok(f.scrolled(at(898)), 'within the slack of the bottom');
  assert.ok(f.following);
  assert.is(f.unseen, 0);
  f.scrolled(at(0));
  f.appended(1);
  f.resume();
  assert.ok(f.following && f.unseen === 0);
});

test('following does not count lines; content shorter than the view is at the bottom', () => {
  const f = new FollowState();
  f.appended(10);
  assert.is(f.unseen, 0);
  assert.ok(f.atBottom({ scrollTop: 0, clientHeight: 500, scrollHeight: 200 }));
});

test('the virtual window covers the viewport plus overscan and never leaves the list', () => {
  const w = visibleWindow({ scrollTop: 18_000, viewportPx: 360, rowPx: 18, count: 100_000, overscan: 5 });
  assert.equal([w.start, w.end, w.offsetPx, w.totalPx], [995, 1025, 995 * 18, 1_800_000]);
  const top = visibleWindow({ scrollTop: 0, viewportPx: 360, rowPx: 18, count: 3 });
  assert.equal([top.start, top.end], [0, 3]);
  const past = visibleWindow({ scrollTop: 99_999_999, viewportPx: 360, rowPx: 18, count: 1000, overscan: 0 });
  assert.equal([past.start, past.end], [980, 1000]);
});

test.run();
