// --since: durations and RFC 3339 times; anything else is a usage error naming the flag.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sinceTime } from './logs.js';

test('--since durations count back from now; RFC 3339 times pass through', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.is(sinceTime('30s', now), '2026-01-01T11:59:30.000Z');
  assert.is(sinceTime('1h30m', now), '2026-01-01T10:30:00.000Z');
  assert.is(sinceTime('2026-01-01T11:00:00.5Z', now), '2026-01-01T11:00:00.5Z');
  assert.throws(() => sinceTime('yesterday', now), /--since must be a duration such as 30s/);
  assert.throws(() => sinceTime('', now), /--since must be/);
});

test.run();
