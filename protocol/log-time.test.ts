import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareLogTime, dockerSince, nowLogTime, parseLogTime } from './log-time.js';

test('Docker timestamps parse to seconds + nanoseconds, and become Docker\'s since', () => {
  assert.equal(parseLogTime('2026-11-29T10:00:01.000000042Z'), { seconds: Date.UTC(2026, 10, 29, 10, 0, 1) / 1000, nanos: 42 });
  assert.is(dockerSince('2026-11-29T10:00:01.5Z'), `${Date.UTC(2026, 10, 29, 10, 0, 1) / 1000}.500000000`);
  assert.is(dockerSince('2026-11-29T12:00:01+02:00'), `${Date.UTC(2026, 10, 29, 10, 0, 1) / 1000}.000000000`);
  assert.is(parseLogTime('yesterday'), undefined);
  assert.is(dockerSince('2026-11-29 10:00:00'), undefined);
});

test('comparison is by instant, down to the nanosecond', () => {
  assert.ok(compareLogTime('2026-11-29T10:00:00.000000001Z', '2026-11-29T10:00:00.000000002Z') < 0);
  assert.is(compareLogTime('2026-11-29T10:00:00.1Z', '2026-11-29T10:00:00.100000000Z'), 0);
  assert.ok(compareLogTime('2026-11-29T11:00:00Z', '2026-11-29T12:00:00.5+02:00') > 0);
  assert.ok(compareLogTime('garbage', '2026-11-29T10:00:00Z') < 0);
});

test('now is in the fixed nine-digit form', () => {
  assert.match(nowLogTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))), /^2026-01-02T03:04:05\.006000000Z$/);
});

test.run();
